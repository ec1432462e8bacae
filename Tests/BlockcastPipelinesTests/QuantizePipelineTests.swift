import BlockcastContainers
import BlockcastFormats
import BlockcastPipelines
import BlockcastTestSupport
import Foundation
import Testing

@Suite("QuantizePipeline")
struct QuantizePipelineTests {
    private static func scratch() throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("quantize-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// PyTorch computed expected-fp8.safetensors from the same weights (golden/README.md);
    /// every FP8 tensor and every scale must come out bit for bit.
    @Test("golden tiny-a: FP8 codes and scales identical to PyTorch's")
    func golden() throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let input = TestPaths.golden.appendingPathComponent("tiny-a/model.h5").path
        var options = QuantizeOptions(input: input, output: folder + "/out")
        options.format = .safetensors
        let pipeline = QuantizePipeline(options: options)
        let prepared = try pipeline.prepare()
        let outcome = try pipeline.run(prepared)
        #expect(outcome.merged)

        let expected = try Checkpoint.open(
            TestPaths.golden.appendingPathComponent("tiny-a/expected-fp8.safetensors").path)
        let produced = try Checkpoint.open(folder + "/out")
        let fp8Count = expected.tensors.filter { $0.dtype == .float8E4M3FN }.count
        #expect(fp8Count == 38)
        var compared = 0
        for info in expected.tensors
        where info.dtype == .float8E4M3FN || info.name.hasSuffix("_scale_inv") {
            let ours = try produced.read(info.name)
            let theirs = try expected.read(info.name)
            #expect(ours == theirs, "tensor \(info.name) differs")
            compared += 1
        }
        #expect(compared == 2 * fp8Count)

        // Non-FP8 tensors are bfloat16 by policy (float32 in the reference), except the bias.
        #expect(produced.info("model.norm.weight")?.dtype == .bfloat16)
        #expect(produced.tensors.count == expected.tensors.count)
        #expect(outcome.statistics.count == fp8Count)
        #expect(outcome.statistics.values.allSatisfy { $0.sqnrDecibels > 20 })

        let config = try #require(produced.config)
        #expect(config["quantization_config"]?["fmt"]?.stringValue == "e4m3")
        #expect(config["quantization_config"]?["weight_block_size"] == [128, 128])
        #expect(config["hidden_size"]?.intValue == 256)
    }

    /// With `--to bf16` the rounding is the conversion, so every tensor rounded from float32
    /// gets its error measured; the golden weights are float32, so none is lossless.
    @Test("--to bf16 reports the rounding error of every converted tensor")
    func bfloat16Statistics() throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let input = TestPaths.golden.appendingPathComponent("tiny-a/model.h5").path
        var options = QuantizeOptions(input: input, output: folder + "/out")
        options.policy = TensorPolicy(mode: .bf16)
        let pipeline = QuantizePipeline(options: options)
        let outcome = try pipeline.run(try pipeline.prepare())

        let produced = try Checkpoint.open(folder + "/out")
        let rounded = produced.tensors.filter { $0.dtype == .bfloat16 }.map(\.name)
        #expect(rounded.count > 40)
        #expect(Set(outcome.statistics.keys) == Set(rounded))
        // bfloat16 keeps 8 significant bits: about 50 dB on weights, never below 40.
        #expect(outcome.statistics.values.allSatisfy { $0.sqnrDecibels > 40 })
        #expect(outcome.statistics.values.allSatisfy { $0.maxErrorRelativeToAmax <= 1 / 256 })
    }
}
