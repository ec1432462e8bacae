import BlockcastContainers
import Testing

/// Scale ↔ weight pairing in both spellings.
@Suite struct NamingScalePairingTests {
    @Test func weightsFindTheirScaleInEachSpelling() {
        let hf = "model.layers.1.self_attn.q_b_proj.weight"
        #expect(
            TensorName.scaleName(forWeight: hf, style: .huggingFace)
                == "model.layers.1.self_attn.q_b_proj.weight_scale_inv")
        #expect(
            TensorName.scaleName(forWeight: "layers.1.attn.wq_b.weight", style: .inference)
                == "layers.1.attn.wq_b.scale")
        #expect(TensorName.scaleName(forWeight: "layers.3.ffn.gate.bias", style: .inference) == nil)
    }

    @Test func scalesFindTheirWeightInEachSpelling() {
        #expect(
            TensorName.weightName(forScale: "model.layers.1.mlp.up_proj.weight_scale_inv")
                == "model.layers.1.mlp.up_proj.weight")
        #expect(
            TensorName.weightName(forScale: "layers.1.ffn.w3.scale") == "layers.1.ffn.w3.weight")
        #expect(TensorName.weightName(forScale: "layers.1.ffn.w3.weight") == nil)
        #expect(TensorName.scaleStyle(of: "x.weight_scale_inv") == .huggingFace)
        #expect(TensorName.scaleStyle(of: "x.scale") == .inference)
        #expect(TensorName.scaleStyle(of: "x.weight") == nil)
    }

    @Test func pairedNamesCarryTheSamePlacement() throws {
        let weight = try TensorName(huggingFace: "model.layers.4.mlp.experts.3.gate_proj.weight")
        let scale = try #require(weight.scaleTensor)
        #expect(scale.huggingFace == "model.layers.4.mlp.experts.3.gate_proj.weight_scale_inv")
        #expect(scale.placement == weight.placement)
        #expect(scale.scaledWeight == weight)
    }
}
