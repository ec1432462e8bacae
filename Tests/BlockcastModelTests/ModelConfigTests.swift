import BlockcastContainers
import BlockcastFormats
import BlockcastModel
import BlockcastTestSupport
import Foundation
import Testing

@Suite struct ModelConfigTests {
    private func parse(_ text: String) throws -> ModelConfig {
        try ModelConfig(jsonData: Data(text.utf8))
    }

    @Test func readsTheGoldenHuggingFaceConfig() throws {
        let url = TestPaths.golden.appendingPathComponent("tiny-a/config.json")
        let config = try ModelConfig(contentsOf: url)
        #expect(config.vocabSize == 512)
        #expect(config.dim == 256)
        #expect(config.interDim == 384)
        #expect(config.moeInterDim == 128)
        #expect(config.layerCount == 2)
        #expect(config.denseLayerCount == 1)
        #expect(config.headCount == 4)
        #expect(config.routedExpertCount == 8)
        #expect(config.sharedExpertCount == 1)
        #expect(config.activatedExpertCount == 2)
        #expect(config.qLoraRank == 0)
        #expect(config.kvLoraRank == 128)
        #expect(config.qkNopeHeadDim == 32)
        #expect(config.qkRopeHeadDim == 16)
        #expect(config.vHeadDim == 32)
        #expect(config.originalSeqLen == 4096)
        #expect(config.ropeFactor == 40)
        #expect(config.maxSeqLen == 16_384)
        #expect(config.scoreFunction == .softmax)
        #expect(!config.hasGateBias)
        #expect(config.yarnEnabled)
    }

    @Test func readsTheConfigAnHDF5CheckpointCarries() throws {
        let folder = TestPaths.golden.appendingPathComponent("tiny-a")
        let checkpoint = try Checkpoint.open(folder.appendingPathComponent("model.h5").path)
        let fromAttribute = try ModelConfig(checkpoint: checkpoint)
        let fromFile = try ModelConfig(contentsOf: folder.appendingPathComponent("config.json"))
        #expect(fromAttribute == fromFile)
    }

    /// The scale rule of an FP8 checkpoint comes from either spelling; absent, float32.
    @Test func scaleFormatComesFromTheQuantizationConfig() throws {
        let huggingFace = try parse(
            #"{"hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2, "#
                + #""quantization_config": {"quant_method": "fp8", "scale_fmt": "ue8m0"}}"#)
        #expect(huggingFace.scaleFormat == .ue8m0)
        let inference = try parse(#"{"dim": 64, "n_heads": 2, "scale_fmt": "ue8m0"}"#)
        #expect(inference.scaleFormat == .ue8m0)
        let plain = try parse(
            #"{"hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2, "#
                + #""quantization_config": {"quant_method": "fp8"}}"#)
        #expect(plain.scaleFormat == .float32)
    }

    @Test func inferenceSpellingTakesReferenceDefaults() throws {
        let config = try parse(#"{"dim": 64, "n_heads": 2, "n_layers": 1, "n_dense_layers": 1}"#)
        #expect(config.dim == 64)
        #expect(config.headCount == 2)
        #expect(config.vocabSize == 102_400)
        #expect(config.kvLoraRank == 512)
        #expect(config.rmsNormEps == 1e-6)
        // max_seq_len defaults to 16384 > original_seq_len 4096.
        #expect(config.yarnEnabled)
        let short = try parse(#"{"max_seq_len": 4096}"#)
        #expect(!short.yarnEnabled)
    }

    @Test func huggingFaceYarnFollowsRopeScalingType() throws {
        let without = try parse(#"{"hidden_size": 64, "max_position_embeddings": 163840}"#)
        #expect(!without.yarnEnabled)
        let with = try parse(
            #"{"hidden_size": 64, "rope_scaling": {"type": "yarn", "factor": 4, "#
                + #""mscale_all_dim": 0.707, "original_max_position_embeddings": 32}}"#)
        #expect(with.yarnEnabled)
        #expect(with.ropeFactor == 4)
        #expect(with.mscale == 0.707)
        #expect(with.originalSeqLen == 32)
    }

    @Test func huggingFaceNullSharedExpertsMeansNone() throws {
        let config = try parse(#"{"num_hidden_layers": 2, "n_shared_experts": null}"#)
        #expect(config.sharedExpertCount == 0)
        #expect(config.layerCount == 2)
        #expect(try parse(#"{"dim": 64, "n_shared_experts": null}"#).sharedExpertCount == 2)
    }

    @Test func gateBiasFollowsTopkMethodOrSigmoid() throws {
        #expect(try parse(#"{"hidden_size": 64, "topk_method": "noaux_tc"}"#).hasGateBias)
        #expect(!(try parse(#"{"hidden_size": 64, "topk_method": "greedy"}"#).hasGateBias))
        #expect(try parse(#"{"dim": 64, "score_func": "sigmoid"}"#).hasGateBias)
        #expect(!(try parse(#"{"dim": 64}"#).hasGateBias))
    }

    @Test(arguments: [
        (#"{"dim": 64, "n_heads": 0}"#, "n_heads"),
        (#"{"dim": 64, "n_routed_experts": 6, "n_expert_groups": 4}"#, "n_expert_groups"),
        (#"{"dim": 64, "n_expert_groups": 2, "n_limited_groups": 3}"#, "n_limited_groups"),
        (#"{"dim": 64, "score_func": "relu"}"#, "score_func"),
        (#"{"dim": "wide"}"#, "dim"),
        (#"{"dim": 64, "qk_rope_head_dim": 7}"#, "qk_rope_head_dim"),
        (#"{"hidden_size": 64, "rope_scaling": {"factor": "x"}}"#, "rope_scaling.factor"),
        (
            #"{"dim": 64, "n_routed_experts": 8, "n_activated_experts": 5, "#
                + #""n_expert_groups": 4, "n_limited_groups": 2}"#, "n_activated_experts"
        ),
    ])
    func invalidValuesNameTheirKey(text: String, key: String) {
        do {
            _ = try parse(text)
            Issue.record("expected an error naming \(key) for \(text)")
        } catch let error as ModelError {
            guard case .invalidValue(let named, _, _) = error else {
                Issue.record("expected invalidValue(\(key)), got \(error)")
                return
            }
            #expect(named == key, "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func integersZeroAndOneAreNotBooleans() throws {
        let config = try parse(#"{"dim": 64, "n_dense_layers": 0, "n_shared_experts": 1}"#)
        #expect(config.denseLayerCount == 0)
        #expect(config.sharedExpertCount == 1)
        #expect(throws: ModelError.self) { try parse(#"{"dim": true}"#) }
    }

    @Test(arguments: [
        ModelConfig.deepSeekV2Lite16B, ModelConfig.deepSeekV2_236B, ModelConfig.deepSeekV3_671B,
    ])
    func presetsRoundTripThroughHuggingFaceJSON(config: ModelConfig) throws {
        try config.validate()
        let back = try parse(config.huggingFaceJSON())
        #expect(back == config)
    }

    @Test func publishedParameterCountsMatch() {
        // The published totals: 15.7B, 235.7B and 671B without / 684.5B with the MTP layer
        // (main model counted here; MTP excluded).
        let lite = Double(ModelConfig.deepSeekV2Lite16B.parameterCount) / 1e9
        let v2 = Double(ModelConfig.deepSeekV2_236B.parameterCount) / 1e9
        let v3 = Double(ModelConfig.deepSeekV3_671B.parameterCount) / 1e9
        #expect(abs(lite - 15.7) < 0.1, "\(lite)")
        #expect(abs(v2 - 235.7) < 0.5, "\(v2)")
        #expect(abs(v3 - 671.0) < 1.0, "\(v3)")
    }

    @Test func expectedTensorsOfASmallConfig() throws {
        var config = ModelConfig()
        config.vocabSize = 10
        config.dim = 8
        config.interDim = 12
        config.moeInterDim = 4
        config.layerCount = 2
        config.denseLayerCount = 1
        config.headCount = 2
        config.routedExpertCount = 2
        config.sharedExpertCount = 1
        config.activatedExpertCount = 1
        config.qLoraRank = 6
        config.kvLoraRank = 5
        config.qkNopeHeadDim = 3
        config.qkRopeHeadDim = 2
        config.vHeadDim = 4
        config.hasGateBias = true
        try config.validate()
        let tensors = Dictionary(
            uniqueKeysWithValues: config.expectedTensors().map { ($0.name, $0.shape) })
        #expect(tensors.count == 1 + 2 * 9 + 3 + 2 + 3 * 2 + 3 + 2)
        #expect(tensors["model.embed_tokens.weight"] == [10, 8])
        #expect(tensors["model.layers.0.self_attn.q_a_proj.weight"] == [6, 8])
        #expect(tensors["model.layers.0.self_attn.q_a_layernorm.weight"] == [6])
        #expect(tensors["model.layers.0.self_attn.q_b_proj.weight"] == [10, 6])
        #expect(tensors["model.layers.0.self_attn.kv_a_proj_with_mqa.weight"] == [7, 8])
        #expect(tensors["model.layers.0.self_attn.kv_a_layernorm.weight"] == [5])
        #expect(tensors["model.layers.0.self_attn.kv_b_proj.weight"] == [14, 5])
        #expect(tensors["model.layers.0.self_attn.o_proj.weight"] == [8, 8])
        #expect(tensors["model.layers.0.mlp.down_proj.weight"] == [8, 12])
        #expect(tensors["model.layers.1.mlp.gate.weight"] == [2, 8])
        #expect(tensors["model.layers.1.mlp.gate.e_score_correction_bias"] == [2])
        #expect(tensors["model.layers.1.mlp.experts.1.up_proj.weight"] == [4, 8])
        #expect(tensors["model.layers.1.mlp.shared_experts.down_proj.weight"] == [8, 4])
        #expect(tensors["model.norm.weight"] == [8])
        #expect(tensors["lm_head.weight"] == [10, 8])
        #expect(tensors["model.layers.0.self_attn.q_proj.weight"] == nil)
    }

    @Test func mtpTensorsFollowTheMainBlocks() {
        let config = ModelConfig.deepSeekV3_671B
        let names = config.expectedTensors(includeMTP: true).map(\.name)
        #expect(names.contains("model.layers.61.eh_proj.weight"))
        #expect(names.contains("model.layers.61.mlp.experts.255.down_proj.weight"))
        #expect(!config.expectedTensors().map(\.name).contains("model.layers.61.enorm.weight"))
    }

    @Test func summaryMentionsTheShape() {
        let summary = ModelConfig.deepSeekV3_671B.summary
        #expect(summary.contains("61"))
        #expect(summary.contains("sigmoid"))
        #expect(summary.split(separator: "\n").count <= 24)
    }
}
