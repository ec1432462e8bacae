import BlockcastFormats
import BlockcastModel
import Foundation

/// `blockcast run`: the forward pass alone, saving the logits of every position so that
/// other tools, or another runtime's output, can be compared with ours (and so that a costly
/// reference is computed once and handed to `verify --reference-logits`).
public struct RunPipeline {
    /// What `run` was asked to do.
    public struct Options: Sendable {
        /// The checkpoint (a set of rank files runs sharded, in process).
        public var checkpoint: String
        /// The tokens.
        public var tokens: TokenSource
        /// The arithmetic.
        public var path: VerifyPath = .fp32
        /// Convert the weights in memory first, as `quantize` would.
        public var whatIf: WhatIf?
        /// The scale rule of `whatIf == .fp8`.
        public var scaleFormat: ScaleFormat = .float32
        /// The safetensors file to write.
        public var output: String

        /// Options for running `checkpoint` on `tokens` into `output`.
        public init(checkpoint: String, tokens: TokenSource, output: String) {
            self.checkpoint = checkpoint
            self.tokens = tokens
            self.output = output
        }
    }

    /// What a run produced.
    public struct Summary: Sendable, Equatable {
        /// Sequences run.
        public var sequences: Int
        /// Positions per sequence.
        public var positions: Int
        /// The vocabulary size (the last dimension of the logits).
        public var vocabularySize: Int
        /// The arithmetic used.
        public var path: VerifyPath
        /// Ranks the model ran as.
        public var worldSize: Int
    }

    /// The options.
    public let options: Options

    /// A pipeline for `options`.
    public init(options: Options) { self.options = options }

    /// Runs the model and writes `[sequences, positions, vocab]` float32 logits and the
    /// tokens to the output file.
    /// - Throws: ``VerifyError`` for bad tokens or options, ``ModelError`` or
    ///   ``ContainerError`` for an unusable checkpoint (exit status 2 in every case).
    public func run() throws -> Summary {
        let checkpoint = try ModelCheckpoint(options.checkpoint)
        let config = checkpoint.config
        let tokens: TokenSequences
        switch options.tokens {
        case .file(let path):
            tokens = try TokenSequences(contentsOf: URL(fileURLWithPath: path))
        case .generated(let count, let length, let seed):
            tokens = .generated(
                sequences: count, length: length, seed: seed, vocabularySize: config.vocabSize)
        }
        try tokens.validate(vocabularySize: config.vocabSize, maxSequenceLength: config.maxSeqLen)
        guard tokens.isRectangular else {
            throw VerifyError(
                .invalidRequest,
                "\(tokens.source): the logits file is [sequences, positions, vocab], so every "
                    + "sequence must have the same length; found lengths "
                    + Set(tokens.sequences.map(\.count)).sorted().map(String.init)
                    .joined(separator: ", "))
        }
        guard let path = options.path.computePath else {
            throw VerifyError(
                .invalidRequest,
                "--path sharded is not an arithmetic: give rank files as the checkpoint and "
                    + "the path they should run on")
        }

        let model: Transformer
        if let whatIf = options.whatIf {
            guard checkpoint.worldSize == nil else {
                throw VerifyError(
                    .invalidRequest, "--what-if converts an unsharded checkpoint, not rank files")
            }
            model = try checkpoint.whatIfTransformer(
                path, mode: whatIf == .fp8 ? .fp8 : .bf16, scaleFormat: options.scaleFormat)
        } else {
            // FP8 arithmetic needs FP8 weights: a float checkpoint would run plain float32
            // products under an FP8 label.
            guard !path.usesFP8Weights || checkpoint.kind == .fp8 else {
                throw VerifyError(
                    .invalidRequest,
                    "--path \(path.rawValue) runs FP8 weights, and '\(options.checkpoint)' holds "
                        + "\(checkpoint.kind.rawValue) weights: quantize it first, or add "
                        + "--what-if fp8 to convert it in memory")
            }
            model = try checkpoint.transformer(path)
        }
        let result = try model.forward(tokens: tokens.sequences, keepHiddenStates: false)

        var metadata = [
            "format": "blockcast-logits", "checkpoint": options.checkpoint,
            "path": path.rawValue, "world_size": String(model.worldSize),
            "tool": "blockcast \(BuildInfo.version)", "tokens": tokens.source,
        ]
        if let whatIf = options.whatIf {
            metadata["what_if"] = whatIf.rawValue
            metadata["scale_format"] = options.scaleFormat.rawValue
        }
        try LogitsFile.write(
            logits: result.logits, tokens: tokens.sequences, vocabularySize: config.vocabSize,
            to: options.output, metadata: metadata)
        return Summary(
            sequences: tokens.sequences.count, positions: tokens.longest,
            vocabularySize: config.vocabSize, path: VerifyPath(path),
            worldSize: model.worldSize)
    }
}
