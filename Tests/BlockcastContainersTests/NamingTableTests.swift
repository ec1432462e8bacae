import BlockcastContainers
import Testing

/// Every row of the sharding table, tensor by tensor, in both directions.
@Suite struct NamingTableTests {
    /// One expected translation: Hugging Face name, inference name, placement.
    struct Case: CustomTestStringConvertible, Sendable {
        let huggingFace: String
        let inference: String
        let placement: ShardPlacement
        var testDescription: String { huggingFace }
    }

    static let cases: [Case] = [
        Case(
            huggingFace: "model.embed_tokens.weight", inference: "embed.weight",
            placement: .split(dimension: 0)),
        Case(
            huggingFace: "model.layers.0.input_layernorm.weight",
            inference: "layers.0.attn_norm.weight", placement: .replicated),
        Case(
            huggingFace: "model.layers.0.post_attention_layernorm.weight",
            inference: "layers.0.ffn_norm.weight", placement: .replicated),
        Case(
            huggingFace: "model.layers.0.self_attn.q_proj.weight",
            inference: "layers.0.attn.wq.weight", placement: .split(dimension: 0)),
        Case(
            huggingFace: "model.layers.1.self_attn.q_a_proj.weight",
            inference: "layers.1.attn.wq_a.weight", placement: .replicated),
        Case(
            huggingFace: "model.layers.1.self_attn.q_a_proj.weight_scale_inv",
            inference: "layers.1.attn.wq_a.scale", placement: .replicated),
        Case(
            huggingFace: "model.layers.1.self_attn.q_a_layernorm.weight",
            inference: "layers.1.attn.q_norm.weight", placement: .replicated),
        Case(
            huggingFace: "model.layers.1.self_attn.q_b_proj.weight",
            inference: "layers.1.attn.wq_b.weight", placement: .split(dimension: 0)),
        Case(
            huggingFace: "model.layers.1.self_attn.q_b_proj.weight_scale_inv",
            inference: "layers.1.attn.wq_b.scale", placement: .split(dimension: 0)),
        Case(
            huggingFace: "model.layers.2.self_attn.kv_a_proj_with_mqa.weight",
            inference: "layers.2.attn.wkv_a.weight", placement: .replicated),
        Case(
            huggingFace: "model.layers.2.self_attn.kv_a_layernorm.weight",
            inference: "layers.2.attn.kv_norm.weight", placement: .replicated),
        Case(
            huggingFace: "model.layers.2.self_attn.kv_b_proj.weight",
            inference: "layers.2.attn.wkv_b.weight", placement: .split(dimension: 0)),
        Case(
            huggingFace: "model.layers.2.self_attn.o_proj.weight",
            inference: "layers.2.attn.wo.weight", placement: .split(dimension: 1)),
        Case(
            huggingFace: "model.layers.2.self_attn.o_proj.weight_scale_inv",
            inference: "layers.2.attn.wo.scale", placement: .split(dimension: 1)),
        Case(
            huggingFace: "model.layers.0.mlp.gate_proj.weight",
            inference: "layers.0.ffn.w1.weight", placement: .split(dimension: 0)),
        Case(
            huggingFace: "model.layers.0.mlp.down_proj.weight",
            inference: "layers.0.ffn.w2.weight", placement: .split(dimension: 1)),
        Case(
            huggingFace: "model.layers.0.mlp.up_proj.weight_scale_inv",
            inference: "layers.0.ffn.w3.scale", placement: .split(dimension: 0)),
        Case(
            huggingFace: "model.layers.3.mlp.gate.weight", inference: "layers.3.ffn.gate.weight",
            placement: .replicated),
        Case(
            huggingFace: "model.layers.3.mlp.gate.e_score_correction_bias",
            inference: "layers.3.ffn.gate.bias", placement: .replicated),
        Case(
            huggingFace: "model.layers.5.mlp.experts.17.down_proj.weight_scale_inv",
            inference: "layers.5.ffn.experts.17.w2.scale", placement: .expert(index: 17)),
        Case(
            huggingFace: "model.layers.5.mlp.experts.0.gate_proj.weight",
            inference: "layers.5.ffn.experts.0.w1.weight", placement: .expert(index: 0)),
        Case(
            huggingFace: "model.layers.5.mlp.experts.255.up_proj.weight",
            inference: "layers.5.ffn.experts.255.w3.weight", placement: .expert(index: 255)),
        Case(
            huggingFace: "model.layers.5.mlp.shared_experts.gate_proj.weight",
            inference: "layers.5.ffn.shared_experts.w1.weight",
            placement: .split(dimension: 0)),
        Case(
            huggingFace: "model.layers.5.mlp.shared_experts.down_proj.weight_scale_inv",
            inference: "layers.5.ffn.shared_experts.w2.scale", placement: .split(dimension: 1)),
        Case(
            huggingFace: "model.layers.5.mlp.shared_experts.up_proj.weight",
            inference: "layers.5.ffn.shared_experts.w3.weight",
            placement: .split(dimension: 0)),
        Case(huggingFace: "model.norm.weight", inference: "norm.weight", placement: .replicated),
        Case(
            huggingFace: "lm_head.weight", inference: "head.weight", placement: .split(dimension: 0)
        ),
        // Multi-token-prediction layer extras (layer 61 of the 671B model).
        Case(
            huggingFace: "model.layers.61.embed_tokens.weight",
            inference: "layers.61.embed.weight", placement: .split(dimension: 0)),
        Case(
            huggingFace: "model.layers.61.enorm.weight", inference: "layers.61.enorm.weight",
            placement: .replicated),
        Case(
            huggingFace: "model.layers.61.hnorm.weight", inference: "layers.61.hnorm.weight",
            placement: .replicated),
        Case(
            huggingFace: "model.layers.61.eh_proj.weight", inference: "layers.61.eh_proj.weight",
            placement: .replicated),
        Case(
            huggingFace: "model.layers.61.shared_head.norm.weight",
            inference: "layers.61.shared_head.norm.weight", placement: .replicated),
        Case(
            huggingFace: "model.layers.61.shared_head.head.weight",
            inference: "layers.61.shared_head.head.weight", placement: .split(dimension: 0)),
    ]

    @Test(arguments: cases)
    func huggingFaceNamesTranslateByTheTable(_ expected: Case) throws {
        let name = try TensorName(huggingFace: expected.huggingFace)
        #expect(name.inference == expected.inference, "from \(expected.huggingFace)")
        #expect(name.placement == expected.placement, "for \(expected.huggingFace)")
    }

    @Test(arguments: cases)
    func inferenceNamesTranslateBack(_ expected: Case) throws {
        let name = try TensorName(inference: expected.inference)
        #expect(name.huggingFace == expected.huggingFace, "from \(expected.inference)")
        #expect(name.placement == expected.placement, "for \(expected.inference)")
    }

    @Test func theDesignExampleParsesItsParts() throws {
        let name = try TensorName(
            huggingFace: "model.layers.5.mlp.experts.17.down_proj.weight_scale_inv")
        #expect(name.inference == "layers.5.ffn.experts.17.w2.scale")
        #expect(name.layer == 5)
        #expect(name.expert == 17)
        #expect(name.module == "w2")
        #expect(name.leaf == "scale")
        #expect(name.isScale)
        #expect(name.scaledWeight?.inference == "layers.5.ffn.experts.17.w2.weight")
        #expect(!name.isMultiTokenPredictionModule)
    }

    @Test func sharedExpertsAreNotRoutedExperts() throws {
        let name = try TensorName(huggingFace: "model.layers.5.mlp.shared_experts.up_proj.weight")
        #expect(name.expert == nil)
        #expect(name.layer == 5)
    }

    @Test func tableModulesAreUniqueInBothSpellings() {
        let modules = ShardingTable.modules
        #expect(Set(modules.map(\.huggingFace)).count == modules.count)
        #expect(Set(modules.map(\.inference)).count == modules.count)
        #expect(modules.count == 17)
    }

    @Test func multiTokenPredictionLayersAreDetectedByIndex() throws {
        let main = try TensorName(huggingFace: "model.layers.60.self_attn.o_proj.weight")
        let mtp = try TensorName(huggingFace: "model.layers.61.self_attn.o_proj.weight")
        let head = try TensorName(huggingFace: "lm_head.weight")
        let extra = try TensorName(huggingFace: "model.layers.61.enorm.weight")
        #expect(!main.isMultiTokenPrediction(layerCount: 61))
        #expect(mtp.isMultiTokenPrediction(layerCount: 61))
        #expect(!head.isMultiTokenPrediction(layerCount: 61))
        #expect(extra.isMultiTokenPrediction(layerCount: 61))
        #expect(extra.isMultiTokenPredictionModule)
        #expect(!mtp.isMultiTokenPredictionModule)
    }

    @Test func expertsGoToContiguousRanks() {
        let ranks = (0..<256).map {
            ShardPlacement.rank(ofExpert: $0, expertCount: 256, worldSize: 16)
        }
        #expect(ranks[0] == 0)
        #expect(ranks[15] == 0)
        #expect(ranks[16] == 1)
        #expect(ranks[255] == 15)
        #expect(ShardPlacement.rank(ofExpert: 5, expertCount: 8, worldSize: 1) == 0)
    }
}
