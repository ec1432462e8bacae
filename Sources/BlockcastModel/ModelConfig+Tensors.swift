extension ModelConfig {
    /// Every weight tensor this config implies, in Hugging Face names and checkpoint order:
    /// the embedding, each block's attention and FFN tensors, the final norm and the head.
    ///
    /// Only the weights themselves are listed; an FP8 checkpoint adds a `weight_scale_inv`
    /// beside each quantized projection. With `includeMTP`, the multi-token-prediction layers
    /// (indices `n_layers ..< n_layers + num_nextn_predict_layers`) follow the main blocks
    /// with their extra tensors (`enorm`, `hnorm`, `eh_proj`, `shared_head`, `embed_tokens`).
    public func expectedTensors(includeMTP: Bool = false) -> [(name: String, shape: [Int])] {
        var tensors: [(name: String, shape: [Int])] = []
        tensors.append(("model.embed_tokens.weight", [vocabSize, dim]))

        for layer in 0..<layerCount {
            tensors += blockTensors(layer: layer)
        }

        if includeMTP {
            for layer in layerCount..<(layerCount + mtpLayerCount) {
                let prefix = "model.layers.\(layer)."
                tensors.append((prefix + "embed_tokens.weight", [vocabSize, dim]))
                tensors.append((prefix + "enorm.weight", [dim]))
                tensors.append((prefix + "hnorm.weight", [dim]))
                tensors.append((prefix + "eh_proj.weight", [dim, 2 * dim]))
                tensors += blockTensors(layer: layer)
                tensors.append((prefix + "shared_head.norm.weight", [dim]))
                tensors.append((prefix + "shared_head.head.weight", [vocabSize, dim]))
            }
        }

        tensors.append(("model.norm.weight", [dim]))
        tensors.append(("lm_head.weight", [vocabSize, dim]))
        return tensors
    }

    /// The tensors of one transformer block (attention, norms, dense MLP or MoE).
    private func blockTensors(layer: Int) -> [(name: String, shape: [Int])] {
        let prefix = "model.layers.\(layer)."
        let attention = prefix + "self_attn."
        var tensors: [(name: String, shape: [Int])] = []
        tensors.append((prefix + "input_layernorm.weight", [dim]))

        let queryWidth = headCount * qkHeadDim
        if qLoraRank == 0 {
            tensors.append((attention + "q_proj.weight", [queryWidth, dim]))
        } else {
            tensors.append((attention + "q_a_proj.weight", [qLoraRank, dim]))
            tensors.append((attention + "q_a_layernorm.weight", [qLoraRank]))
            tensors.append((attention + "q_b_proj.weight", [queryWidth, qLoraRank]))
        }
        tensors.append(
            (attention + "kv_a_proj_with_mqa.weight", [kvLoraRank + qkRopeHeadDim, dim]))
        tensors.append((attention + "kv_a_layernorm.weight", [kvLoraRank]))
        tensors.append(
            (attention + "kv_b_proj.weight", [headCount * (qkNopeHeadDim + vHeadDim), kvLoraRank]))
        tensors.append((attention + "o_proj.weight", [dim, headCount * vHeadDim]))
        tensors.append((prefix + "post_attention_layernorm.weight", [dim]))

        let mlp = prefix + "mlp."
        if !isMoE(layer: layer) {
            tensors += mlpTensors(prefix: mlp, width: interDim)
            return tensors
        }
        tensors.append((mlp + "gate.weight", [routedExpertCount, dim]))
        if hasGateBias {
            tensors.append((mlp + "gate.e_score_correction_bias", [routedExpertCount]))
        }
        for expert in 0..<routedExpertCount {
            tensors += mlpTensors(prefix: mlp + "experts.\(expert).", width: moeInterDim)
        }
        if sharedExpertCount > 0 {
            tensors += mlpTensors(
                prefix: mlp + "shared_experts.", width: sharedExpertCount * moeInterDim)
        }
        return tensors
    }

    private func mlpTensors(prefix: String, width: Int) -> [(name: String, shape: [Int])] {
        [
            (prefix + "gate_proj.weight", [width, dim]),
            (prefix + "up_proj.weight", [width, dim]),
            (prefix + "down_proj.weight", [dim, width]),
        ]
    }

    /// Parameters the main blocks, embedding, final norm and head hold (MTP layers excluded).
    public var parameterCount: Int {
        expectedTensors().reduce(0) { $0 + $1.shape.reduce(1, *) }
    }
}
