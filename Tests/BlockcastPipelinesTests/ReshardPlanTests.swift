import BlockcastContainers
import BlockcastFormats
import BlockcastModel
import BlockcastPipelines
import Testing

/// Plans for the published model shapes, made from names and shapes alone.
@Suite struct ReshardPlanTests {
    private func plan(
        _ preset: SynthPreset, worldSize: Int, fp8: Bool = true, requantize: Bool = false
    ) throws(ReshardError) -> ReshardPlan {
        let source = ReshardSource.preset(preset.rawValue, config: preset.config, fp8: fp8)
        var options = ReshardOptions(worldSize: worldSize)
        options.requantizeMisaligned = requantize
        return try ReshardPlan.make(input: source.input, options: options)
    }

    /// 671B at world size 16: 16 experts per rank, 1152 dense-MLP rows (9 blocks) and 128
    /// shared-expert rows (1 block) per rank, so every FP8 slice is block-aligned.
    @Test func the671BModelPlansCleanlyAt16() throws {
        let plan = try plan(.deepSeek671B, worldSize: 16)
        #expect(plan.misalignments.isEmpty)
        #expect(plan.expertCount == 256)
        #expect(Set(plan.bytesPerRank).count == 1)
        #expect(plan.cleanWorldSizes == [1, 2, 4, 8, 16])
        #expect(plan.leftOut.allSatisfy { $0.name.hasPrefix("model.layers.61.") })
        let w1 = try #require(
            plan.tensors.first { $0.source.name == "model.layers.0.mlp.gate_proj.weight" })
        #expect(w1.pieces.map(\.shape) == Array(repeating: [1152, 7168], count: 16))
        let scale = try #require(
            plan.tensors.first { $0.source.name == "model.layers.0.mlp.gate_proj.weight_scale_inv" }
        )
        #expect(scale.pieces.map(\.range) == (0..<16).map { ($0 * 9)..<($0 * 9 + 9) })
    }

    /// At 32 the dense MLPs (576 rows, 4.5 blocks) of the 3 dense layers and the shared
    /// experts (64 rows) of the 58 MoE layers cut blocks: 3·3 + 58·3 = 183 weights.
    @Test func the671BModelIsMisalignedAt32() {
        #expect {
            try plan(.deepSeek671B, worldSize: 32)
        } throws: { error in
            guard let error = error as? ReshardError else { return false }
            return error.code == .misaligned && error.details.count == 183
                && error.details.allSatisfy { $0.contains(".mlp.") }
        }
    }

    @Test func the671BModelPlansAt32WithRequantization() throws {
        let plan = try plan(.deepSeek671B, worldSize: 32, requantize: true)
        #expect(plan.misalignments.count == 183)
        let scale = try #require(
            plan.tensors.first { $0.source.name == "model.layers.0.mlp.down_proj.weight_scale_inv" }
        )
        #expect(scale.pieces.allSatisfy { $0.shape == [56, 5] })  // ceil(576/128) = 5
        let shared = try #require(
            plan.tensors.first {
                $0.source.name == "model.layers.3.mlp.shared_experts.up_proj.weight_scale_inv"
            })
        #expect(shared.pieces.allSatisfy { $0.shape == [1, 56] })
    }

    /// Without FP8 scales nothing needs block alignment.
    @Test func aBFloat16LayoutPlansAt32() throws {
        let plan = try plan(.deepSeek671B, worldSize: 32, fp8: false)
        #expect(plan.misalignments.isEmpty)
    }

    /// 236B: experts 160 → n | 160; block alignment of the dense MLP (12288 = 96·128) and the
    /// shared experts (2·1536 = 24·128) → n | 24; together n ∈ {1, 2, 4, 8}.
    /// 16B: the dense MLP width 10944 is not a multiple of 128, so only n = 1 is aligned.
    @Test func cleanWorldSizesOfTheOtherPublishedModels() throws {
        #expect(try plan(.deepSeek236B, worldSize: 8).cleanWorldSizes == [1, 2, 4, 8])
        #expect(try plan(.deepSeek16B, worldSize: 1).cleanWorldSizes == [1])
        #expect(try plan(.deepSeek16B, worldSize: 2, requantize: true).misalignments.count > 0)
    }

    /// Every tensor the published configs imply (MTP layers and FP8 scales included) is in
    /// the naming table, and its inference name translates back exactly.
    @Test(arguments: [SynthPreset.deepSeek16B, .deepSeek236B, .deepSeek671B, .tiny])
    func theNamingTableCoversEveryPublishedTensor(_ preset: SynthPreset) throws {
        let source = ReshardSource.preset(preset.rawValue, config: preset.config, fp8: true)
        for info in source.input.tensors {
            let name = try TensorName(huggingFace: info.name)
            #expect(try TensorName(inference: name.inference).huggingFace == info.name)
        }
    }

    /// The dry-run text names every tensor, the bytes per rank and the misalignments.
    @Test func thePlanTextListsTensorsBytesAndMisalignments() throws {
        let plan = try plan(.tiny, worldSize: 2, requantize: true)
        let files = ["model0-mp2.safetensors", "model1-mp2.safetensors"]
        let text = plan.text(inputLabel: "tiny", files: files, requantize: true)
        for tensor in plan.tensors {
            #expect(text.contains("  " + tensor.pieces[0].name + " "), "\(tensor.source.name)")
        }
        #expect(text.contains("rank 1   model1-mp2.safetensors"))
        #expect(text.contains("Misaligned FP8 weights (\(plan.misalignments.count), re-quantized"))
        #expect(text.contains("layers.0.ffn.w1.weight"))
    }
}
