import BlockcastContainers
import BlockcastFormats
import BlockcastPipelines
import BlockcastTestSupport
import Foundation
import Testing

/// FP8 weights whose rank slices cut 128-blocks: refused by default, re-quantized per rank
/// on request.
@Suite struct ReshardRequantizeTests {
    typealias Support = ReshardTestSupport

    @Test func misalignedSlicesAreRefusedAndNothingIsWritten() throws {
        let (input, _) = try Support.fixture(.fp8)
        let output = try ContainerFixtures.temporaryDirectory().appendingPathComponent("out").path
        let error = try #require(throws: ReshardError.self) {
            try Support.reshard(input.path, into: output) { $0.worldSize = 2 }
        }
        #expect(error.code == .misaligned)
        // Ragged widths: dense MLP 640 → 320, experts' shared MLP 192 → 96, o_proj 128 → 64.
        let named = [
            "model.layers.0.mlp.gate_proj.weight", "model.layers.0.mlp.up_proj.weight",
            "model.layers.0.mlp.down_proj.weight",
            "model.layers.1.mlp.shared_experts.up_proj.weight",
            "model.layers.0.self_attn.o_proj.weight",
        ]
        for name in named {
            #expect(error.details.contains { $0.hasPrefix("'\(name)'") }, "\(error)")
        }
        #expect(error.details.allSatisfy { $0.contains("world sizes that align it: 1") })
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    /// Each rank's re-quantized slice has its own scale grid and dequantizes to within the
    /// FP8 rounding bound of the input's dequantized slice; everything else is exact.
    @Test(arguments: [2, 4, 8])
    func requantizedSlicesStayWithinTheFP8Bound(worldSize: Int) throws {
        let (input, tensors) = try Support.fixture(.fp8)
        let (output, report, plan) = try Support.reshard(input.path) {
            $0.worldSize = worldSize
            $0.requantizeMisaligned = true
        }
        let misaligned = Set(plan.misalignments.map(\.tensor))
        #expect(!misaligned.isEmpty)
        #expect(Set(report.requantized.map(\.tensor)) == misaligned)
        for item in report.requantized {
            #expect(item.sqnrDecibels > 20, "\(item.tensor): \(item.sqnrDecibels) dB")
        }

        for (rank, file) in Support.rankFiles(worldSize).enumerated() {
            let checkpoint = try Checkpoint.open((output as NSString).appendingPathComponent(file))
            for info in checkpoint.tensors where info.name.hasSuffix(".weight") {
                let name = try TensorName(inference: info.name)
                guard misaligned.contains(name.huggingFace),
                    case .split(let dimension) = name.placement
                else { continue }
                let original = tensors[name.huggingFace]!
                let originalScale = tensors[name.huggingFace + "_scale_inv"]!
                let scaleName = TensorName.scaleName(forWeight: info.name, style: .inference)!
                let codes = try checkpoint.read(info.name)
                let scale = try checkpoint.read(scaleName)
                #expect(codes.dtype == .float8E4M3FN)
                #expect(scale.shape == codes.shape.map { ($0 + 127) / 128 })
                try checkValues(
                    codes: codes, scale: scale, original: original, originalScale: originalScale,
                    dimension: dimension, rank: rank, worldSize: worldSize, name: info.name)
            }
        }
    }

    /// `|W' − W''| ≤ max(|W'|/16, s·2⁻¹⁰)`: half an E4M3 step, relative for normal codes and
    /// absolute (in the new tile's scale) for subnormal ones.
    private func checkValues(
        codes: Tensor, scale: Tensor, original: Tensor, originalScale: Tensor, dimension: Int,
        rank: Int, worldSize: Int, name: String
    ) throws {
        let rows = codes.shape[0]
        let columns = codes.shape[1]
        let newCodes = codes.bytes
        let newScales = try scale.floats()
        let oldCodes = original.bytes
        let oldScales = try originalScale.floats()
        let fullColumns = original.shape[1]
        let rowOffset = dimension == 0 ? rank * rows : 0
        let columnOffset = dimension == 1 ? rank * columns : 0
        var worst: Float = 0
        for row in 0..<rows {
            for column in 0..<columns {
                let r = row + rowOffset
                let c = column + columnOffset
                let before =
                    Float8E4M3FN.decode(oldCodes[r * fullColumns + c])
                    * oldScales[(r / 128) * originalScale.shape[1] + c / 128]
                let tileScale = newScales[(row / 128) * scale.shape[1] + column / 128]
                let after = Float8E4M3FN.decode(newCodes[row * columns + column]) * tileScale
                let bound = max(abs(before) / 16, tileScale / 1024) * 1.0001
                worst = max(worst, abs(before - after) / bound)
            }
        }
        #expect(worst <= 1, "\(name) rank \(rank): error reaches \(worst) of the FP8 bound")
    }

    /// Tensors that were not misaligned are still exact slices when others are re-quantized.
    @Test func alignedTensorsStayExactBesideRequantizedOnes() throws {
        let (input, tensors) = try Support.fixture(.fp8)
        let (output, _, plan) = try Support.reshard(input.path) {
            $0.worldSize = 2
            $0.requantizeMisaligned = true
        }
        let requantized = Set(plan.misalignments.flatMap { [$0.tensor, $0.tensor + "_scale_inv"] })
        for (rank, file) in Support.rankFiles(2).enumerated() {
            let checkpoint = try Checkpoint.open((output as NSString).appendingPathComponent(file))
            for info in checkpoint.tensors {
                let name = try TensorName(inference: info.name)
                guard !requantized.contains(name.huggingFace) else { continue }
                let original = tensors[name.huggingFace]!
                let data = try checkpoint.read(info.name)
                if case .split(let dimension) = name.placement {
                    let expected = Support.slice(original, dimension: dimension, rank: rank, of: 2)
                    #expect(data.bytes == expected, "\(info.name)")
                } else {
                    #expect(data == original, "\(info.name)")
                }
            }
        }
    }

    /// Merging re-quantized rank files back would need another re-quantization; it is
    /// refused with the tensors named.
    @Test func requantizedRankFilesDoNotMergeSilently() throws {
        let (input, _) = try Support.fixture(.fp8)
        let (ranks, _, _) = try Support.reshard(input.path) {
            $0.worldSize = 2
            $0.requantizeMisaligned = true
        }
        let error = try #require(throws: ReshardError.self) {
            try Support.reshard(ranks) { $0.worldSize = 1 }
        }
        #expect(error.code == .badRankDirectory)
        #expect(error.details.contains { $0.contains("layers.0.ffn.w1.weight") })
    }
}
