import Foundation

extension ModelConfig {
    /// The config as a Hugging Face `config.json` dictionary (what a synthetic checkpoint
    /// ships beside its weights). ``ModelConfig/init(json:)`` reads it back to an equal config.
    public func huggingFaceDictionary() -> [String: Any] {
        var json: [String: Any] = [
            "architectures": ["DeepseekV3ForCausalLM"],
            "model_type": "deepseek_v3",
            "vocab_size": vocabSize,
            "hidden_size": dim,
            "intermediate_size": interDim,
            "moe_intermediate_size": moeInterDim,
            "num_hidden_layers": layerCount,
            "first_k_dense_replace": denseLayerCount,
            "num_attention_heads": headCount,
            "num_key_value_heads": headCount,
            "n_routed_experts": routedExpertCount,
            "n_shared_experts": sharedExpertCount,
            "num_experts_per_tok": activatedExpertCount,
            "n_group": expertGroupCount,
            "topk_group": limitedGroupCount,
            "scoring_func": scoreFunction.rawValue,
            "routed_scaling_factor": routeScale,
            "norm_topk_prob": scoreFunction == .sigmoid,
            "kv_lora_rank": kvLoraRank,
            "qk_nope_head_dim": qkNopeHeadDim,
            "qk_rope_head_dim": qkRopeHeadDim,
            "v_head_dim": vHeadDim,
            "rope_theta": ropeTheta,
            "max_position_embeddings": maxSeqLen,
            "rms_norm_eps": rmsNormEps,
            "num_nextn_predict_layers": mtpLayerCount,
            "moe_layer_freq": 1,
            "hidden_act": "silu",
            "tie_word_embeddings": false,
            "attention_bias": false,
            "torch_dtype": "bfloat16",
        ]
        json["q_lora_rank"] = qLoraRank == 0 ? NSNull() : qLoraRank
        json["topk_method"] =
            hasGateBias ? "noaux_tc" : (expertGroupCount > 1 ? "group_limited_greedy" : "greedy")

        // Without YaRN a Hugging Face config carries no rope_scaling at all; the other YaRN
        // numbers are written anyway (under the same object) only when it is on.
        if yarn {
            json["rope_scaling"] =
                [
                    "type": "yarn",
                    "factor": ropeFactor,
                    "original_max_position_embeddings": originalSeqLen,
                    "beta_fast": betaFast,
                    "beta_slow": betaSlow,
                    "mscale": mscale,
                    "mscale_all_dim": mscale,
                ] as [String: Any]
        }
        return json
    }

    /// ``huggingFaceDictionary()`` as pretty-printed JSON text with sorted keys.
    public func huggingFaceJSON() -> String {
        let data = try! JSONSerialization.data(
            withJSONObject: huggingFaceDictionary(), options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// A one-screen description of the model for `inspect`.
    public var summary: String {
        var lines: [String] = []
        let moeLayers = moeLayerCount
        lines.append(
            "layers \(layerCount) (\(denseLayerCount) dense, \(moeLayers) MoE)"
                + (mtpLayerCount > 0 ? " + \(mtpLayerCount) MTP" : ""))
        lines.append("width \(dim), vocabulary \(vocabSize), dense MLP width \(interDim)")
        let query = qLoraRank == 0 ? "plain W_q" : "low-rank W_q (rank \(qLoraRank))"
        lines.append(
            "attention: MLA, \(headCount) heads, head dims \(qkNopeHeadDim)+\(qkRopeHeadDim) "
                + "(value \(vHeadDim)), kv_lora_rank \(kvLoraRank), \(query)")
        if moeLayers > 0 || mtpLayerCount > 0 {
            lines.append(
                "experts: \(routedExpertCount) routed + \(sharedExpertCount) shared, "
                    + "\(activatedExpertCount) active, width \(moeInterDim)")
            let bias = hasGateBias ? ", correction bias" : ""
            lines.append(
                "router: \(scoreFunction.rawValue)\(bias), groups \(expertGroupCount) "
                    + "(\(limitedGroupCount) used), route scale \(formatted(routeScale))")
        }
        let yarnText =
            yarn
            ? "YaRN factor \(formatted(ropeFactor)) over \(originalSeqLen), "
                + "beta \(formatted(betaFast))/\(formatted(betaSlow)), mscale \(formatted(mscale))"
            : "no YaRN"
        lines.append("rotary: theta \(formatted(ropeTheta)), \(yarnText)")
        lines.append("max_seq_len \(maxSeqLen), rms_norm_eps \(rmsNormEps)")
        lines.append("parameters: \(parameterCount)")
        return lines.joined(separator: "\n")
    }

    private func formatted(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
