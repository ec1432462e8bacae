import BlockcastContainers
import BlockcastTestSupport
import Foundation
import Testing

/// `blockcast reshard` from the command line: stdout, stderr and exit statuses.
@Suite struct ReshardCommandTests {
    /// A fixture checkpoint of the small model (ragged widths) in a fresh directory.
    private func fixture(
        _ precision: ReshardFixtures.Precision, alignedTo: Int = 0
    ) throws -> (input: String, scratch: URL) {
        let scratch = try ContainerFixtures.temporaryDirectory()
        let model = ReshardFixtures.model(alignedTo: alignedTo)
        try ReshardFixtures.write(
            tensors: model.tensors, precision: precision,
            directory: scratch.appendingPathComponent("in"), config: model.config)
        return (scratch.appendingPathComponent("in").path, scratch)
    }

    /// A shape-only config file plans like a preset: the fixture's config.json, without its
    /// tensors, gives the same placements as the checkpoint beside it.
    @Test func aConfigFilePlansWithoutTensors() throws {
        let (input, scratch) = try fixture(.fp8, alignedTo: 2)
        let config = scratch.appendingPathComponent("config.json").path
        try FileManager.default.copyItem(atPath: input + "/config.json", toPath: config)
        let run = try BinaryRun.blockcast([
            "reshard", "--dry-run", "--config", config, "--world-size", "2",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stdout.hasPrefix(
                "Plan for the model of '\(config)' (FP8 layout) at world size 2:\n"))
        #expect(run.stdout.hasSuffix("World sizes that split this input cleanly: 1, 2\n"))
        let fromCheckpoint = try BinaryRun.blockcast([
            "reshard", "--dry-run", input, "--world-size", "2",
        ])
        // The same lines, in the checkpoint's file order or in the config's tensor order.
        let placements = { (text: String) in
            text.split(separator: "\n").filter {
                $0.hasPrefix("  layers.") || $0.hasPrefix("  embed") || $0.hasPrefix("  head")
            }.sorted()
        }
        #expect(placements(run.stdout) == placements(fromCheckpoint.stdout))

        let missing = try BinaryRun.blockcast([
            "reshard", "--dry-run", "--config", scratch.path + "/none.json", "--world-size", "2",
        ])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("none.json': "), "\(missing.stderr)")
        #expect(!missing.stderr.contains("Domain="), "\(missing.stderr)")
        let notDry = try BinaryRun.blockcast([
            "reshard", "--config", config, "--world-size", "2", scratch.path + "/out",
        ])
        #expect(notDry.status == 64 && notDry.stderr.contains("needs '--dry-run'"))
    }

    @Test func thePublished671BShapePlansAt16WithoutFiles() throws {
        let run = try BinaryRun.blockcast([
            "reshard", "--dry-run", "--preset", "671b", "--world-size", "16",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr == "")
        #expect(run.stdout.hasPrefix("Plan for preset '671b' (FP8 layout) at world size 16:\n"))
        #expect(run.stdout.contains("\n  layers.0.ffn.w1.weight "))
        #expect(run.stdout.contains("[1152, 7168] × 16\n"))
        #expect(run.stdout.contains("  rank 15  model15-mp16.safetensors "))
        #expect(run.stdout.hasSuffix("World sizes that split this input cleanly: 1, 2, 4, 8, 16\n"))
    }

    @Test func worldSize32ReportsEveryMisalignedWeight() throws {
        let run = try BinaryRun.blockcast([
            "reshard", "--dry-run", "--preset", "671b", "--world-size", "32",
        ])
        #expect(run.status == 2)
        let lines = run.stderr.split(separator: "\n")
        #expect(
            lines.first?.hasPrefix("error: At world size 32, 183 FP8 weight(s) would be split")
                == true)
        #expect(lines.count == 184)
        #expect(
            lines.contains(
                "  'model.layers.0.mlp.gate_proj.weight' [18432, 7168], dim 0: 576 per rank is "
                    + "4.5 blocks of 128; world sizes that align it: 1, 2, 3, 4, 6, 8, 9, 12, 16, "
                    + "18, 24, 36, 48, 72, 144"))
        #expect(run.stdout.contains("Misaligned FP8 weights (183, cannot be split"))

        let requantized = try BinaryRun.blockcast([
            "reshard", "--dry-run", "--preset", "671b", "--world-size", "32",
            "--requantize-misaligned",
        ])
        #expect(requantized.status == 0, "\(requantized.stderr)")
        #expect(requantized.stdout.contains("Misaligned FP8 weights (183, re-quantized per rank)"))
    }

    /// A real run: rank files, side files and manifest, then `--names hf` merges back.
    @Test func reshardsAndMergesBack() throws {
        let (input, scratch) = try fixture(.fp8, alignedTo: 2)
        let ranks = scratch.appendingPathComponent("ranks").path
        let run = try BinaryRun.blockcast([
            "reshard", input, ranks, "--world-size", "2", "--quiet",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr == "")
        #expect(run.stdout.hasPrefix("Wrote 2 rank files to '\(ranks)' (world size 2): "))
        #expect(run.stdout.contains("Left out 76 multi-token-prediction tensor(s)"))
        #expect(
            run.stdout.hasSuffix("Copied config.json, tokenizer.json, tokenizer_config.json.\n"))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: ranks).sorted() == [
                "blockcast-manifest.json", "config.json", "model0-mp2.safetensors",
                "model1-mp2.safetensors", "tokenizer.json", "tokenizer_config.json",
            ])

        let merged = scratch.appendingPathComponent("merged").path
        let merge = try BinaryRun.blockcast([
            "reshard", ranks, merged, "--world-size", "1", "--names", "hf", "--quiet",
        ])
        #expect(merge.status == 0, "\(merge.stderr)")
        let original = try Checkpoint.open(input)
        let back = try Checkpoint.open(merged)
        for info in back.tensors {
            #expect(try back.read(info.name) == original.read(info.name), "\(info.name)")
        }
        #expect(back.tensors.count == original.tensors.count - 76)
    }

    /// A dry run of a real input reads headers only and writes nothing.
    @Test func aDryRunOfAnInputWritesNothing() throws {
        let (input, scratch) = try fixture(.fp8)
        let json = scratch.appendingPathComponent("plan.json").path
        let run = try BinaryRun.blockcast([
            "reshard", input, "--world-size", "4", "--dry-run", "--requantize-misaligned",
            "--json", json,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("Plan for '\(input)' at world size 4:\n"))
        #expect(run.stdout.contains("  layers.1.ffn.experts.5.w2.weight "))
        #expect(run.stdout.contains("rank 2: [256, 192]\n"))
        let plan = try JSONValue.parse(
            String(decoding: FileManager.default.contents(atPath: json)!, as: UTF8.self))
        #expect(plan["world_size"]?.intValue == 4)
        #expect(plan["files"]?.arrayValue?.count == 4)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted()
                == ["in", "plan.json"])
    }

    @Test func misalignedFP8IsRequantizedOnRequest() throws {
        let (input, scratch) = try fixture(.fp8)
        let output = scratch.appendingPathComponent("out").path
        let refused = try BinaryRun.blockcast([
            "reshard", input, output, "--world-size", "2", "--quiet",
        ])
        #expect(refused.status == 2)
        #expect(refused.stderr.hasPrefix("error: At world size 2, 8 FP8 weight(s)"))
        #expect(refused.stdout == "")
        #expect(!FileManager.default.fileExists(atPath: output))

        let run = try BinaryRun.blockcast([
            "reshard", input, output, "--world-size", "2", "--requantize-misaligned", "--quiet",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("Re-quantized 8 misaligned FP8 weight(s) per rank:\n"))
        #expect(
            run.stdout.contains(
                "  'model.layers.0.mlp.gate_proj.weight' [640, 256], dim 0: added error SQNR "))
    }

    @Test func aMissingRankExitsWithStatus2() throws {
        let (input, scratch) = try fixture(.float32)
        let ranks = scratch.appendingPathComponent("ranks").path
        #expect(
            try BinaryRun.blockcast(["reshard", input, ranks, "--world-size", "4", "--quiet"])
                .status == 0)
        try FileManager.default.removeItem(atPath: ranks + "/model1-mp4.safetensors")
        let output = scratch.appendingPathComponent("merged").path
        let run = try BinaryRun.blockcast(["reshard", ranks, output, "--world-size", "1"])
        #expect(run.status == 2)
        #expect(
            run.stderr
                == "error: '\(ranks)' holds 3 of the 4 rank files of world size 4; missing: "
                + "rank 1 (model1-mp4.*).\n")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test(arguments: [
        (
            ["reshard", "--preset", "671b", "--world-size", "16"],
            "error: '--preset' plans a model shape and needs '--dry-run'"
        ),
        (
            ["reshard", "in", "out", "--world-size", "2", "--names", "hf"],
            "error: '--names hf' needs '--world-size 1'"
        ),
        (["reshard", "in", "--world-size", "2"], "error: missing the output directory"),
    ])
    func badCombinationsAreUsageErrors(arguments: [String], firstLine: String) throws {
        let run = try BinaryRun.blockcast(arguments)
        #expect(run.status == 64)
        #expect(run.stderr.hasPrefix(firstLine + "\n"), "\(run.stderr)")
    }
}
