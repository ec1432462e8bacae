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
