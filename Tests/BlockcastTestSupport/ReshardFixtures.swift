import BlockcastContainers
import BlockcastFormats
import Foundation

/// Small checkpoints with Hugging Face names for reshard, merge and inspect tests, built
/// directly with the containers' writer (no dependency on `synth` or `quantize`).
public enum ReshardFixtures {
    /// How the tensors of a fixture are stored.
    public enum Precision: String, Sendable, CaseIterable {
        /// Every tensor float32.
        case float32
        /// The FP8 release layout: 2-D projections as E4M3 with F32 `weight_scale_inv`
        /// (128×128 blocks), the router bias float32, everything else bfloat16.
        case fp8
    }

    /// The modules whose 2-D `weight` becomes FP8 in the `fp8` layout (quantization.md).
    public static let fp8Modules: Set<String> = [
        "q_proj", "q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj",
        "gate_proj", "up_proj", "down_proj",
    ]

    /// Writes `tensors` (Hugging Face names and shapes) as a checkpoint in `directory`:
    /// `model.safetensors`, or with `files > 1` that many files and
    /// `model.safetensors.index.json`; plus `config.json` (when given) and two tokenizer
    /// files. Values are seeded and heavy-tailed enough that FP8 tiles differ.
    ///
    /// - Returns: Every tensor written, by name.
    @discardableResult
    public static func write(
        tensors: [(name: String, shape: [Int])], precision: Precision, directory: URL,
        config: String?, files: Int = 1, seed: UInt64 = 7
    ) throws -> [String: Tensor] {
        var written: [(name: String, tensor: Tensor)] = []
        for (index, entry) in tensors.enumerated() {
            let values = randomValues(
                count: entry.shape.reduce(1, *), seed: seed &+ UInt64(index) &* 7919)
            written += convert(name: entry.name, shape: entry.shape, values, precision)
        }

        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if files <= 1 {
            try SafetensorsWriter.write(
                written, to: directory.appendingPathComponent("model.safetensors").path)
        } else {
            var weightMap: [String: JSONValue] = [:]
            for part in 0..<files {
                let name = "model-\(part + 1)-of-\(files).safetensors"
                let share = written.enumerated().filter { $0.offset % files == part }.map(\.element)
                for item in share { weightMap[item.name] = .string(name) }
                try SafetensorsWriter.write(share, to: directory.appendingPathComponent(name).path)
            }
            let index: JSONValue = ["metadata": [:], "weight_map": .object(weightMap)]
            try Data((index.prettySerialized() + "\n").utf8).write(
                to: directory.appendingPathComponent("model.safetensors.index.json"))
        }
        if let config {
            try Data(config.utf8).write(to: directory.appendingPathComponent("config.json"))
        }
        try Data("{\"model\": \"fixture\"}\n".utf8).write(
            to: directory.appendingPathComponent("tokenizer.json"))
        try Data("{\"bos_token\": \"<s>\"}\n".utf8).write(
            to: directory.appendingPathComponent("tokenizer_config.json"))
        return Dictionary(uniqueKeysWithValues: written.map { ($0.name, $0.tensor) })
    }

    /// The tensor (and its scale, for FP8 weights) `name` becomes in `precision`.
    private static func convert(
        name: String, shape: [Int], _ values: [Float], _ precision: Precision
    ) -> [(name: String, tensor: Tensor)] {
        guard precision == .fp8 else { return [(name, Tensor(floats: values, shape: shape))] }
        let parts = name.split(separator: ".")
        let module = parts.count >= 2 ? String(parts[parts.count - 2]) : ""
        if name.hasSuffix("e_score_correction_bias") {
            return [(name, Tensor(floats: values, shape: shape))]
        }
        guard shape.count == 2, parts.last == "weight", fp8Modules.contains(module) else {
            let bits = values.map { BFloat16.encode($0) }
            let bytes = bits.withUnsafeBytes { Array($0) }
            return [(name, Tensor(dtype: .bfloat16, shape: shape, bytes: bytes))]
        }
        let (matrix, _) = values.withUnsafeBufferPointer {
            BlockQuantizer.quantize($0, rows: shape[0], columns: shape[1])
        }
        let scaleName = String(name.dropLast("weight".count)) + "weight_scale_inv"
        return [
            (name, Tensor(dtype: .float8E4M3FN, shape: shape, bytes: matrix.codes)),
            (
                scaleName,
                Tensor(floats: matrix.scaleInverse, shape: [matrix.scaleRows, matrix.scaleColumns])
            ),
        ]
    }

    /// Seeded values: mostly small, with a few large outliers, and no two tiles alike.
    public static func randomValues(count: Int, seed: UInt64) -> [Float] {
        var random = FixtureRandom(seed: seed)
        return (0..<count).map { _ in
            let unit = Float(random.next() >> 40) / Float(1 << 24) - 0.5
            let outlier: Float = random.next() % 97 == 0 ? 8 : 1
            return unit * 0.1 * outlier
        }
    }

    /// A small DeepSeek-V3-shaped tensor list and its Hugging Face `config.json`: 2 main
    /// blocks (one dense, one MoE with `experts` routed experts and a shared expert), low-rank
    /// queries, a router bias, and one multi-token-prediction layer (index 2).
    ///
    /// Widths are multiples of `128 · alignedTo` when `alignedTo > 0` (every FP8 slice up to
    /// that world size stays on block boundaries), else deliberately ragged.
    public static func model(
        experts: Int = 8, alignedTo: Int = 0
    ) -> (tensors: [(name: String, shape: [Int])], config: String) {
        let unit = alignedTo > 0 ? 128 * alignedTo : 0
        let dim = 256
        let heads = alignedTo > 0 ? 8 : 4
        let headDim = alignedTo > 0 ? unit / heads : 32  // nope, rope and value widths
        let inter = alignedTo > 0 ? unit : 640
        let moeInter = alignedTo > 0 ? unit : 192
        let qLora = 96
        let kvLora = 128
        let vocab = 512
        var tensors: [(name: String, shape: [Int])] = [("model.embed_tokens.weight", [vocab, dim])]
        for layer in 0..<3 {
            let prefix = "model.layers.\(layer)."
            if layer == 2 {
                tensors += [
                    (prefix + "embed_tokens.weight", [vocab, dim]),
                    (prefix + "enorm.weight", [dim]), (prefix + "hnorm.weight", [dim]),
                    (prefix + "eh_proj.weight", [dim, 2 * dim]),
                ]
            }
            let attention = prefix + "self_attn."
            tensors += [
                (prefix + "input_layernorm.weight", [dim]),
                (attention + "q_a_proj.weight", [qLora, dim]),
                (attention + "q_a_layernorm.weight", [qLora]),
                (attention + "q_b_proj.weight", [heads * 2 * headDim, qLora]),
                (attention + "kv_a_proj_with_mqa.weight", [kvLora + headDim, dim]),
                (attention + "kv_a_layernorm.weight", [kvLora]),
                (attention + "kv_b_proj.weight", [heads * 2 * headDim, kvLora]),
                (attention + "o_proj.weight", [dim, heads * headDim]),
                (prefix + "post_attention_layernorm.weight", [dim]),
            ]
            let mlp = prefix + "mlp."
            if layer == 0 {
                tensors += projections(mlp, width: inter, dim: dim)
            } else {
                tensors += [
                    (mlp + "gate.weight", [experts, dim]),
                    (mlp + "gate.e_score_correction_bias", [experts]),
                ]
                for expert in 0..<experts {
                    tensors += projections(mlp + "experts.\(expert).", width: moeInter, dim: dim)
                }
                tensors += projections(mlp + "shared_experts.", width: moeInter, dim: dim)
            }
            if layer == 2 {
                tensors += [
                    (prefix + "shared_head.norm.weight", [dim]),
                    (prefix + "shared_head.head.weight", [vocab, dim]),
                ]
            }
        }
        tensors += [("model.norm.weight", [dim]), ("lm_head.weight", [vocab, dim])]

        let config = """
            {
              "architectures": ["DeepseekV3ForCausalLM"],
              "model_type": "deepseek_v3",
              "vocab_size": \(vocab), "hidden_size": \(dim), "intermediate_size": \(inter),
              "moe_intermediate_size": \(moeInter), "num_hidden_layers": 2,
              "first_k_dense_replace": 1, "num_attention_heads": \(heads),
              "n_routed_experts": \(experts), "n_shared_experts": 1, "num_experts_per_tok": 2,
              "n_group": 1, "topk_group": 1, "scoring_func": "sigmoid",
              "routed_scaling_factor": 2.5, "topk_method": "noaux_tc",
              "q_lora_rank": \(qLora), "kv_lora_rank": \(kvLora),
              "qk_nope_head_dim": \(headDim), "qk_rope_head_dim": \(headDim),
              "v_head_dim": \(headDim), "num_nextn_predict_layers": 1,
              "max_position_embeddings": 4096, "rope_theta": 10000
            }

            """
        return (tensors, config)
    }

    private static func projections(
        _ prefix: String, width: Int, dim: Int
    ) -> [(name: String, shape: [Int])] {
        [
            (prefix + "gate_proj.weight", [width, dim]),
            (prefix + "up_proj.weight", [width, dim]),
            (prefix + "down_proj.weight", [dim, width]),
        ]
    }
}
