import BlockcastContainers
import BlockcastFormats
import BlockcastModel

/// A checkpoint opened for running: its config, what kind of weights it holds, and whether it
/// is a set of rank files.
package struct ModelCheckpoint: Sendable {
    /// The precision a checkpoint's projection weights are stored in.
    package enum WeightKind: String, Sendable {
        /// float32 or float16 (full precision).
        case full
        /// bfloat16 (a BF16 release).
        case bf16
        /// FP8 E4M3 with block scales.
        case fp8

        /// The paths a checkpoint of this kind naturally runs on.
        package var naturalPaths: [VerifyPath] {
            switch self {
            case .full: [.fp32]
            case .bf16: [.bf16]
            case .fp8: [.fp8Dequant, .fp8Gemm]
            }
        }
    }

    /// The path as the user gave it.
    package let location: String
    /// The opened files.
    package let checkpoint: Checkpoint
    /// The model config it carries.
    package let config: ModelConfig
    /// What its projection weights are.
    package let kind: WeightKind

    /// Opens `location` and reads its config.
    /// - Throws: ``ContainerError`` for unreadable files, ``ModelError`` for a bad config.
    package init(_ location: String) throws {
        self.location = location
        checkpoint = try Checkpoint.open(location)
        config = try ModelConfig(checkpoint: checkpoint)
        kind = Self.kind(of: checkpoint.tensors)
    }

    /// The tensor-parallel world size of rank files, nil for an unsharded checkpoint.
    package var worldSize: Int? { checkpoint.worldSize }

    /// FP8 if any tensor is FP8 E4M3; else bfloat16 if any 2-D weight is; else full.
    static func kind(of tensors: [TensorInfo]) -> WeightKind {
        if tensors.contains(where: { $0.dtype == .float8E4M3FN }) { return .fp8 }
        let matrices = tensors.filter { $0.shape.count == 2 && $0.name.hasSuffix("weight") }
        if matrices.contains(where: { $0.dtype == .bfloat16 }) { return .bf16 }
        return .full
    }

    /// The model on `path`: one rank for an unsharded checkpoint, every rank for rank files.
    package func transformer(_ path: ComputePath) throws -> Transformer {
        if worldSize != nil {
            return try Transformer(
                ranks: ModelWeights.loadRanks(from: checkpoint, config: config, path: path))
        }
        return try Transformer(
            weights: ModelWeights.load(from: checkpoint, config: config, path: path))
    }

    /// The model on `path` with weights converted in memory as `quantize --to mode` would.
    package func whatIfTransformer(
        _ path: ComputePath, mode: TensorPolicy.Mode, scaleFormat: ScaleFormat
    ) throws -> Transformer {
        let source = WhatIfWeights(base: checkpoint, mode: mode, scaleFormat: scaleFormat)
        // The converted weights carry the scale rule the fp8-gemm activations follow.
        var converted = config
        converted.scaleFormat = mode == .fp8 ? scaleFormat : .float32
        return try Transformer(
            weights: ModelWeights.load(from: source, config: converted, path: path))
    }
}

extension VerifyPath {
    /// The model arithmetic of the path; nil for ``sharded``, which is a placement.
    package var computePath: ComputePath? {
        switch self {
        case .fp32: .fp32
        case .bf16: .bf16
        case .fp8Dequant: .fp8Dequant
        case .fp8Gemm: .fp8Gemm
        case .sharded: nil
        }
    }

    /// The path of a model arithmetic.
    package init(_ path: ComputePath) {
        switch path {
        case .fp32: self = .fp32
        case .bf16: self = .bf16
        case .fp8Dequant: self = .fp8Dequant
        case .fp8Gemm: self = .fp8Gemm
        }
    }
}

extension ForwardResult {
    /// The traces of every sequence, in the form ``PathComparison`` reads.
    package func traces(expertsPerToken k: Int) -> [SequenceTrace] {
        logits.indices.map { s in
            let positions = logits[s].count / vocabularySize
            let states = hiddenStates.map { $0[s] }
            let choices = routing.map { layer in layer.experts[s].flatMap { Array($0.prefix(k)) } }
            return SequenceTrace(
                positions: positions, logits: logits[s], blockStates: states, routing: choices)
        }
    }
}
