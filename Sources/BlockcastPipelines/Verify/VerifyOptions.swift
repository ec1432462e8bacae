import BlockcastFormats

/// Where the tokens of a run come from.
public enum TokenSource: Sendable, Equatable {
    /// A token file (see ``TokenSequences``).
    case file(String)
    /// Uniform random ids from a seed.
    case generated(sequences: Int, length: Int, seed: UInt64)
}

/// A candidate derived in memory from the reference checkpoint (`--what-if`).
public enum WhatIf: String, Sendable, CaseIterable {
    /// FP8 E4M3 projections with 128×128 block scales, bfloat16 elsewhere; runs on the
    /// `fp8-dequant` and `fp8-gemm` paths.
    case fp8
    /// Every weight in bfloat16; runs on the `bf16` path.
    case bf16
}

/// Everything `blockcast verify` was asked to do.
public struct VerifyOptions: Sendable {
    /// The original checkpoint: the reference (run on fp32) and the base of what-ifs.
    public var checkpoint: String?
    /// Converted checkpoints to compare (what `quantize` or `reshard` wrote).
    public var candidates: [String] = []
    /// Candidates derived in memory from ``checkpoint``.
    public var whatIfs: [WhatIf] = []
    /// The scale rule of `--what-if fp8`.
    public var scaleFormat: ScaleFormat = .float32
    /// When not empty, only these paths run (each candidate on those it supports).
    public var paths: [VerifyPath] = []
    /// The tokens; nil takes them from the reference logits file, or generates the default
    /// batch (``defaultGenerated``).
    public var tokens: TokenSource?
    /// A logits file to use as the reference instead of running ``checkpoint`` on fp32.
    public var referenceLogits: String?
    /// The tensor of ``referenceLogits`` that holds the logits.
    public var referenceTensor: String = LogitsFile.logitsTensor
    /// A gate file.
    public var gateFile: String?
    /// Gates from `--gate`.
    public var gates: [Gate] = []
    /// `--bf16-activations`: bf16 candidates also round the hidden state to bfloat16 between
    /// blocks (verification.md); the reference stays float32.
    public var bfloat16Activations = false

    /// The batch used when no tokens are given: 4 sequences of 32 ids from seed 0.
    public static let defaultGenerated = TokenSource.generated(sequences: 4, length: 32, seed: 0)

    /// Options with every field at its default.
    public init() {}
}
