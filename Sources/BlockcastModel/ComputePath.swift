/// Which arithmetic a forward pass uses (verification.md, "Paths").
public enum ComputePath: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Float32 weights and activations: the reference.
    case fp32
    /// Weights rounded to bfloat16, activations and products in float32.
    case bf16
    /// FP8 weights dequantized to float32 (`W' = Q · scale_inv`), float32 products.
    case fp8Dequant = "fp8-dequant"
    /// FP8 weights and activations quantized 1×128 per token, block-scaled products
    /// accumulated in float32 per 128-wide slice of the reduction.
    case fp8Gemm = "fp8-gemm"

    /// The path's name as the command line and the reports spell it.
    public var description: String { rawValue }

    /// Whether the path reads FP8 weights (and so keeps them FP8 when loading).
    public var usesFP8Weights: Bool { self == .fp8Dequant || self == .fp8Gemm }
}

/// The evaluation order of Multi-head Latent Attention; both are exact rewrites (model.md).
public enum AttentionOrder: String, Sendable, CaseIterable {
    /// Expands every head's keys and values from the latent through `W_kvb`.
    case naive
    /// Folds `W_kvb` into the query and the output and attends over the latent directly
    /// (the reference's default).
    case absorbed
}
