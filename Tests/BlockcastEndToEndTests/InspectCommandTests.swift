import BlockcastContainers
import BlockcastTestSupport
import Foundation
import Testing

/// `blockcast inspect` from the command line: the exact listing, JSON, and exit statuses.
@Suite struct InspectCommandTests {
    /// A two-tensor checkpoint with one FP8 weight and its scale, plus a norm.
    private func smallCheckpoint() throws -> String {
        let directory = try ContainerFixtures.temporaryDirectory()
        let path = directory.appendingPathComponent("model.safetensors").path
        let weight = Tensor(
            dtype: .float8E4M3FN, shape: [256, 128], bytes: [UInt8](repeating: 0x38, count: 32_768))
        try SafetensorsWriter.write(
            [
                ("model.layers.0.self_attn.o_proj.weight", weight),
                (
                    "model.layers.0.self_attn.o_proj.weight_scale_inv",
                    Tensor(floats: [1, 2], shape: [2, 1])
                ),
                ("model.norm.weight", Tensor(floats: [1, 1, 1, 1], shape: [4])),
            ], to: path)
        return path
    }

    @Test func theListingIsExact() throws {
        let path = try smallCheckpoint()
        let run = try BinaryRun.blockcast(["inspect", path])
        #expect(run.status == 0)
        #expect(run.stderr == "")
        let expected = """
            Checkpoint '\(path)': safetensors, 1 file(s)

            tensor                                            dtype     shape             size
            model.layers.0.self_attn.o_proj.weight_scale_inv  F32       [2, 1]             8 B
            model.norm.weight                                 F32       [4]               16 B
            model.layers.0.self_attn.o_proj.weight            F8_E4M3   [256, 128]    32.0 KiB

            Totals: 3 tensors, 32.0 KiB (32792 bytes)
              F8_E4M3        1 tensors    32.0 KiB
              F32            2 tensors        24 B

            Model:
              no config found (config.json or an HDF5 'config' attribute)

            Quantization: 1 FP8 weight(s), 1 with a block scale of the right shape; 0 2-D weight(s) in higher precision
              every FP8 weight has its scale

            """
        #expect(run.stdout == expected)
    }

    @Test func jsonGoesToStdout() throws {
        let run = try BinaryRun.blockcast(["inspect", try smallCheckpoint(), "--json"])
        #expect(run.status == 0)
        let json = try JSONValue.parse(run.stdout)
        #expect(json["tensor_count"]?.intValue == 3)
        #expect(json["coverage"]?["covered"]?.intValue == 1)
        #expect(json["totals"]?["F8_E4M3"]?["bytes"]?.intValue == 32_768)
    }

    @Test func checkNamesTheDamagedTensorAndExits2() throws {
        let scratch = try ContainerFixtures.temporaryDirectory()
        let model = ReshardFixtures.model()
        let input = scratch.appendingPathComponent("in")
        try ReshardFixtures.write(
            tensors: model.tensors, precision: .float32, directory: input, config: model.config)
        let ranks = scratch.appendingPathComponent("ranks").path
        #expect(
            try BinaryRun.blockcast(["reshard", input.path, ranks, "--world-size", "2", "--quiet"])
                .status == 0)
        let good = try BinaryRun.blockcast(["inspect", ranks, "--check"])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains(", rank files of world size 2\n"))
        #expect(good.stderr.hasPrefix("note: checked "))

        let file = ranks + "/model0-mp2.safetensors"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        bytes[bytes.count - 1] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: file))
        let bad = try BinaryRun.blockcast(["inspect", ranks, "--check"])
        #expect(bad.status == 2)
        #expect(
            bad.stderr.hasPrefix("error: 1 tensor(s) of '\(ranks)' do not match the manifest:\n"))
        #expect(bad.stderr.contains("in 'model0-mp2.safetensors' is damaged"))
    }

    @Test func aMissingCheckpointExits2() throws {
        let run = try BinaryRun.blockcast(["inspect", "/nonexistent/model.safetensors"])
        #expect(run.status == 2)
        #expect(run.stderr.hasPrefix("error: Could not open '/nonexistent/model.safetensors'"))
        #expect(run.stdout == "")
    }
}
