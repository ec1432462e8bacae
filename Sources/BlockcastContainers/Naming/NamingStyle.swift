/// The two spellings of checkpoint tensor names.
public enum NamingStyle: String, Sendable, Hashable, CaseIterable {
    /// Hugging Face names (`model.layers.0.self_attn.q_b_proj.weight_scale_inv`).
    case huggingFace = "hf"
    /// The inference runtime's names used in rank files (`layers.0.attn.wq_b.scale`).
    case inference
}
