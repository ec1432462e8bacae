/// The ways a candidate can be run and compared, by the names the command line, gate files
/// and reports use (verification.md, "Paths").
public enum VerifyPath: String, CaseIterable, Sendable, Codable, CodingKeyRepresentable {
    /// Float32 weights and activations: the reference, or a lossless copy of it.
    case fp32
    /// Weights rounded to bfloat16, float32 activations.
    case bf16
    /// FP8 weights dequantized with their scales, float32 products.
    case fp8Dequant = "fp8-dequant"
    /// FP8 weights and 1×128 FP8 activations, block-scaled products.
    case fp8Gemm = "fp8-gemm"
    /// Any of the above from rank files, compared with the same path unsharded.
    case sharded

    /// The names, comma-separated, for messages.
    public static var spelledOut: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
