/// The one table that maps Hugging Face module names to the inference runtime's names and
/// says how each module is split over tensor-parallel ranks (sharding.md, "Renaming").
///
/// Every other part of the project (reshard, inspect, rank-file loading) goes through this
/// table, so the on-disk names appear verbatim here and nowhere else.
public enum ShardingTable {
    /// One row: a module's two names and how its tensors are split.
    public struct Entry: Sendable, Hashable {
        /// The module name in Hugging Face checkpoints (`q_b_proj`).
        public let huggingFace: String
        /// The module name in rank files (`wq_b`).
        public let inference: String
        /// How tensors of this module are placed when they are not routed experts.
        public let placement: ShardPlacement
    }

    /// The modules of the main transformer blocks, embedding, final norm and head, in the
    /// order sharding.md lists them.
    public static let modules: [Entry] = [
        Entry(huggingFace: "embed_tokens", inference: "embed", placement: .split(dimension: 0)),
        Entry(huggingFace: "input_layernorm", inference: "attn_norm", placement: .replicated),
        Entry(
            huggingFace: "post_attention_layernorm", inference: "ffn_norm",
            placement: .replicated),
        Entry(huggingFace: "q_proj", inference: "wq", placement: .split(dimension: 0)),
        Entry(huggingFace: "q_a_proj", inference: "wq_a", placement: .replicated),
        Entry(huggingFace: "q_a_layernorm", inference: "q_norm", placement: .replicated),
        Entry(huggingFace: "q_b_proj", inference: "wq_b", placement: .split(dimension: 0)),
        Entry(huggingFace: "kv_a_proj_with_mqa", inference: "wkv_a", placement: .replicated),
        Entry(huggingFace: "kv_a_layernorm", inference: "kv_norm", placement: .replicated),
        Entry(huggingFace: "kv_b_proj", inference: "wkv_b", placement: .split(dimension: 0)),
        Entry(huggingFace: "o_proj", inference: "wo", placement: .split(dimension: 1)),
        Entry(huggingFace: "gate", inference: "gate", placement: .replicated),
        Entry(huggingFace: "gate_proj", inference: "w1", placement: .split(dimension: 0)),
        Entry(huggingFace: "down_proj", inference: "w2", placement: .split(dimension: 1)),
        Entry(huggingFace: "up_proj", inference: "w3", placement: .split(dimension: 0)),
        Entry(huggingFace: "norm", inference: "norm", placement: .replicated),
        Entry(huggingFace: "lm_head", inference: "head", placement: .split(dimension: 0)),
    ]

    /// Modules only multi-token-prediction layers have (`model.layers.61.enorm.weight`, …).
    ///
    /// The inference demo drops these layers, so sharding.md's table does not list them. They
    /// keep their names; the output head inside `shared_head` is split like the main head and
    /// the rest is replicated, which is always a correct tensor-parallel layout.
    public static let multiTokenPredictionModules: [Entry] = [
        Entry(huggingFace: "enorm", inference: "enorm", placement: .replicated),
        Entry(huggingFace: "hnorm", inference: "hnorm", placement: .replicated),
        Entry(huggingFace: "eh_proj", inference: "eh_proj", placement: .replicated),
        Entry(huggingFace: "head", inference: "head", placement: .split(dimension: 0)),
    ]

    /// Renames applied to whole components before the module lookup (sharding.md steps 2–3),
    /// in order: Hugging Face spelling, inference spelling.
    static let componentRenames: [(huggingFace: String, inference: String)] = [
        ("self_attn", "attn"),
        ("mlp", "ffn"),
        ("weight_scale_inv", "scale"),
        ("e_score_correction_bias", "bias"),
    ]

    static let byHuggingFace: [String: Entry] = Dictionary(
        uniqueKeysWithValues: modules.map { ($0.huggingFace, $0) })
    static let byInference: [String: Entry] = Dictionary(
        uniqueKeysWithValues: modules.map { ($0.inference, $0) })
    static let mtpByHuggingFace: [String: Entry] = Dictionary(
        uniqueKeysWithValues: multiTokenPredictionModules.map { ($0.huggingFace, $0) })
    static let mtpByInference: [String: Entry] = Dictionary(
        uniqueKeysWithValues: multiTokenPredictionModules.map { ($0.inference, $0) })
}
