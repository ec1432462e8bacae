import BlockcastContainers
import BlockcastFormats
import BlockcastPipelines
import BlockcastTestSupport
import Foundation
import Testing

/// Resharding the small fixture model and merging it back, checked tensor by tensor.
@Suite struct ReshardPipelineTests {
    typealias Support = ReshardTestSupport

    /// Every rank tensor is exactly the expected slice of its input tensor, MTP layers are
    /// left out, and the side files and a valid manifest are written.
    @Test(arguments: [1, 2, 4, 8])
    func float32RanksHoldExactSlices(worldSize: Int) throws {
        let (input, tensors) = try Support.fixture(.float32)
        let (output, report, _) = try Support.reshard(input.path) { $0.worldSize = worldSize }

        #expect(
            Support.listing(output)
                == (Support.rankFiles(worldSize) + [
                    "blockcast-manifest.json", "config.json", "tokenizer.json",
                    "tokenizer_config.json",
                ]).sorted())
        #expect(report.leftOut == tensors.keys.count { $0.hasPrefix("model.layers.2.") })
        try checkRanks(output: output, worldSize: worldSize, input: tensors)
        try Checkpoint.open(output).check()
    }

    /// Tensors of aligned FP8 weights and their scales are sliced bit for bit too.
    @Test(arguments: [1, 2, 4, 8])
    func alignedFP8RanksHoldExactSlices(worldSize: Int) throws {
        let (input, tensors) = try Support.fixture(.fp8, alignedTo: 8)
        let (output, report, plan) = try Support.reshard(input.path) { $0.worldSize = worldSize }
        #expect(plan.misalignments.isEmpty)
        #expect(report.requantized.isEmpty)
        try checkRanks(output: output, worldSize: worldSize, input: tensors)
    }

    /// Resharding to n and merging back with Hugging Face names gives every kept input
    /// tensor back bit for bit (and every tensor with `--keep-mtp`).
    @Test(arguments: [(1, false), (2, true), (4, false), (8, true)])
    func mergeRestoresTheInput(worldSize: Int, keepMTP: Bool) throws {
        for precision in ReshardFixtures.Precision.allCases {
            let (input, tensors) = try Support.fixture(precision, alignedTo: 8, files: 2)
            let (ranks, _, _) = try Support.reshard(input.path) {
                $0.worldSize = worldSize
                $0.keepMTP = keepMTP
            }
            let (merged, report, _) = try Support.reshard(ranks) {
                $0.worldSize = 1
                $0.outputNames = .huggingFace
                $0.keepMTP = keepMTP
            }
            #expect(report.files == ["model.safetensors"])
            let checkpoint = try Checkpoint.open(merged)
            let expected = tensors.filter { keepMTP || !$0.key.hasPrefix("model.layers.2.") }
            #expect(Set(checkpoint.tensors.map(\.name)) == Set(expected.keys))
            for (name, tensor) in expected {
                #expect(try checkpoint.read(name) == tensor, "\(name) at \(worldSize)")
            }
        }
    }

    /// A bfloat16 HDF5 checkpoint (synth tiny) splits and merges back bit for bit too.
    @Test func bfloat16HDF5InputRoundTrips() throws {
        let folder = try ContainerFixtures.temporaryDirectory()
        var synth = SynthOptions(output: folder.appendingPathComponent("in").path)
        synth.preset = .tiny
        synth.dtype = .bfloat16
        synth.format = .hdf5
        let pipeline = SynthPipeline(options: synth)
        try pipeline.run(try pipeline.plan())
        let input = try Checkpoint.open(synth.output)
        #expect(input.format == .hdf5)

        let (ranks, _, _) = try Support.reshard(synth.output) { $0.worldSize = 2 }
        let (merged, _, _) = try Support.reshard(ranks) {
            $0.worldSize = 1
            $0.outputNames = .huggingFace
        }
        let output = try Checkpoint.open(merged)
        #expect(output.tensors.count == input.tensors.count)
        for info in input.tensors {
            #expect(info.dtype == .bfloat16 || info.shape.count == 1, "\(info.name)")
            #expect(try output.read(info.name) == input.read(info), "\(info.name)")
        }
    }

    /// A stale partial file of an interrupted run is removed; other files are left alone.
    @Test func stalePartialFilesAreRemoved() throws {
        let (input, _) = try Support.fixture(.float32)
        let output = try ContainerFixtures.temporaryDirectory().appendingPathComponent("out")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let stale = output.appendingPathComponent(".model1-mp2.safetensors.partial-4242")
        let unrelated = output.appendingPathComponent(".notes.partial-1")
        try Data([1, 2, 3]).write(to: stale)
        try Data([4]).write(to: unrelated)

        _ = try Support.reshard(input.path, into: output.path) { $0.worldSize = 2 }
        #expect(!FileManager.default.fileExists(atPath: stale.path))
        #expect(FileManager.default.fileExists(atPath: unrelated.path))
        try Checkpoint.open(output.path).check()
    }

    /// HDF5 rank files hold the same tensors and merge back the same way.
    @Test func hdf5RankFilesRoundTrip() throws {
        let (input, tensors) = try Support.fixture(.fp8, alignedTo: 2)
        let (ranks, report, _) = try Support.reshard(input.path) {
            $0.worldSize = 2
            $0.format = .hdf5
        }
        #expect(report.files == ["model0-mp2.h5", "model1-mp2.h5"])
        try Checkpoint.open(ranks).check()
        let (merged, _, _) = try Support.reshard(ranks) {
            $0.worldSize = 1
            $0.outputNames = .huggingFace
        }
        let checkpoint = try Checkpoint.open(merged)
        for (name, tensor) in tensors where !name.hasPrefix("model.layers.2.") {
            #expect(try checkpoint.read(name) == tensor, "\(name)")
        }
    }

    /// Compares every tensor of every rank file with an independent slice of the input.
    private func checkRanks(output: String, worldSize: Int, input: [String: Tensor]) throws {
        var seen = Set<String>()
        for (rank, file) in Support.rankFiles(worldSize).enumerated() {
            let checkpoint = try Checkpoint.open((output as NSString).appendingPathComponent(file))
            for info in checkpoint.tensors {
                let name = try TensorName(inference: info.name)
                let original = try #require(input[name.huggingFace], "\(info.name)")
                let data = try checkpoint.read(info.name)
                seen.insert(name.huggingFace)
                switch name.placement {
                case .expert(let index):
                    #expect(index / (8 / worldSize) == rank, "\(info.name) on rank \(rank)")
                    #expect(data == original, "\(info.name)")
                case .replicated:
                    #expect(data == original, "\(info.name)")
                case .split(let dimension):
                    // Aligned scales split in blocks: the same fraction of their rows.
                    let expected = Support.slice(
                        original, dimension: dimension, rank: rank, of: worldSize)
                    #expect(data.dtype == original.dtype)
                    #expect(data.bytes == expected, "\(info.name) rank \(rank) of \(worldSize)")
                }
            }
        }
        let kept = input.keys.filter { !$0.hasPrefix("model.layers.2.") }
        #expect(seen == Set(kept))
    }
}
