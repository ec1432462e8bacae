import BlockcastContainers
import BlockcastFormats
import BlockcastPipelines
import BlockcastTestSupport
import Foundation
import Testing

/// Inputs `reshard` must refuse, each with the tensor or rank named and nothing written.
@Suite struct ReshardErrorTests {
    typealias Support = ReshardTestSupport

    /// Runs a reshard that must fail and checks the output directory was never created.
    private func refusal(
        _ input: String, _ configure: (inout ReshardOptions) -> Void
    ) throws -> ReshardError {
        let output = try ContainerFixtures.temporaryDirectory().appendingPathComponent("out").path
        let error = try #require(throws: ReshardError.self) {
            try Support.reshard(input, into: output, configure: configure)
        }
        #expect(!FileManager.default.fileExists(atPath: output), "output left behind: \(error)")
        return error
    }

    /// A checkpoint of hand-made tensors (no config) in a fresh directory.
    private func checkpoint(_ tensors: [(name: String, tensor: Tensor)]) throws -> String {
        let directory = try ContainerFixtures.temporaryDirectory()
        let path = directory.appendingPathComponent("model.safetensors").path
        try SafetensorsWriter.write(tensors, to: path)
        return path
    }

    @Test func unknownTensorNamesAreNamed() throws {
        let path = try checkpoint([
            ("model.layers.0.mlp.fc9.weight", Tensor(floats: [1, 2], shape: [2])),
            ("model.layers.0.input_layernorm.weight", Tensor(floats: [1, 2], shape: [2])),
            ("model.vision.proj.weight", Tensor(floats: [1], shape: [1])),
        ])
        let error = try refusal(path) { $0.worldSize = 2 }
        #expect(error.code == .unknownTensor)
        #expect(error.details.count == 2)
        #expect(error.details.contains { $0.contains("'model.layers.0.mlp.fc9.weight'") })
        #expect(error.details.contains { $0.contains("'model.vision.proj.weight'") })
    }

    @Test func expertCountsThatDoNotDivideAreRefused() throws {
        let (input, _) = try Support.fixture(.float32)
        let error = try refusal(input.path) { $0.worldSize = 3 }
        #expect(error.code == .indivisible)
        #expect(error.message.contains("8 routed experts"))
        #expect(error.message.contains("1, 2, 4, 8"))
    }

    @Test func dimensionsThatDoNotDivideAreNamed() throws {
        let path = try checkpoint([
            (
                "lm_head.weight",
                Tensor(floats: [Float](repeating: 1, count: 500 * 4), shape: [500, 4])
            ),
            ("model.norm.weight", Tensor(floats: [1, 1, 1, 1], shape: [4])),
        ])
        let error = try refusal(path) { $0.worldSize = 8 }
        #expect(error.code == .indivisible)
        #expect(
            error.details == ["'lm_head.weight' [500, 4]: dimension 0 (500) does not divide by 8"])
    }

    @Test func scalesThatDoNotFitTheirWeightAreNamed() throws {
        let weight = Tensor(
            dtype: .float8E4M3FN, shape: [256, 256], bytes: [UInt8](repeating: 0x38, count: 65536))
        let path = try checkpoint([
            ("model.layers.0.self_attn.o_proj.weight", weight),
            (
                "model.layers.0.self_attn.o_proj.weight_scale_inv",
                Tensor(floats: [1, 1], shape: [1, 2])
            ),
            (
                "model.layers.0.self_attn.q_b_proj.weight_scale_inv",
                Tensor(floats: [1], shape: [1, 1])
            ),
        ])
        let error = try refusal(path) { $0.worldSize = 2 }
        #expect(error.code == .badScale)
        #expect(error.details.contains { $0.contains("needs [2, 2]") })
        #expect(error.details.contains { $0.contains("q_b_proj.weight_scale_inv' has no weight") })
    }

    @Test func aRankDirectoryWithAMissingRankIsRefused() throws {
        let (input, _) = try Support.fixture(.float32)
        let (ranks, _, _) = try Support.reshard(input.path) { $0.worldSize = 4 }
        try FileManager.default.removeItem(
            atPath: (ranks as NSString).appendingPathComponent(
                "model2-mp4.safetensors"))
        let error = try refusal(ranks) { $0.worldSize = 1 }
        #expect(error.code == .badRankDirectory)
        #expect(error.message.contains("missing: rank 2 (model2-mp4.*)"))
    }

    @Test func anEarlierOutputIsNotReplacedUnlessAsked() throws {
        let (input, _) = try Support.fixture(.float32)
        let (output, _, _) = try Support.reshard(input.path) { $0.worldSize = 2 }
        let error = try #require(throws: ReshardError.self) {
            try Support.reshard(input.path, into: output) { $0.worldSize = 2 }
        }
        #expect(error.code == .output)
        #expect(error.message.contains("--force"))
        try Support.reshard(input.path, into: output) {
            $0.worldSize = 2
            $0.force = true
        }
        try Checkpoint.open(output).check()
    }

    /// `--resume` keeps complete rank files (untouched) and writes only the missing ones.
    @Test func resumeKeepsCompletedRankFiles() throws {
        let (input, _) = try Support.fixture(.float32)
        let (output, first, _) = try Support.reshard(input.path) { $0.worldSize = 4 }
        let before = try Data(contentsOf: URL(fileURLWithPath: output + "/model3-mp4.safetensors"))
        let keptPath = output + "/model0-mp4.safetensors"
        let keptInode = try FileManager.default.attributesOfItem(atPath: keptPath)[
            .systemFileNumber]
        try FileManager.default.removeItem(atPath: output + "/model3-mp4.safetensors")
        try FileManager.default.removeItem(atPath: output + "/blockcast-manifest.json")

        let (_, report, _) = try Support.reshard(input.path, into: output) {
            $0.worldSize = 4
            $0.resume = true
        }
        #expect(report.keptFiles == Support.rankFiles(4).dropLast())
        #expect(report.tensorsRead < first.tensorsRead)
        let inode = try FileManager.default.attributesOfItem(atPath: keptPath)[.systemFileNumber]
        #expect((inode as? NSNumber) == (keptInode as? NSNumber))
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: output + "/model3-mp4.safetensors")) == before
        )
        try Checkpoint.open(output).check()
    }

    @Test func resumeRefusesFilesOfAnotherPlan() throws {
        let (input, _) = try Support.fixture(.float32)
        let (output, _, _) = try Support.reshard(input.path) { $0.worldSize = 2 }
        let error = try #require(throws: ReshardError.self) {
            try Support.reshard(input.path, into: output) {
                $0.worldSize = 2
                $0.keepMTP = true
                $0.resume = true
            }
        }
        #expect(error.code == .resumeMismatch)
        #expect(error.message.contains("model0-mp2.safetensors"))
    }

    /// Runs on one thread and on four give byte-identical files (re-quantized slices too).
    @Test func outputIsDeterministic() throws {
        let (input, _) = try Support.fixture(.fp8)
        let saved = Parallelism.threadCount
        defer { Parallelism.threadCount = saved }
        var outputs: [String] = []
        for threads in [1, 4] {
            Parallelism.threadCount = threads
            let (output, _, _) = try Support.reshard(input.path) {
                $0.worldSize = 4
                $0.requantizeMisaligned = true
            }
            outputs.append(output)
        }
        for file in Support.rankFiles(4) + ["blockcast-manifest.json"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: outputs[0] + "/" + file))
            let b = try Data(contentsOf: URL(fileURLWithPath: outputs[1] + "/" + file))
            #expect(a == b, "\(file) differs between runs")
        }
    }
}
