import BlockcastFormats
import BlockcastModel

/// Makes the values of one synthetic tensor from its name, shape and the seed.
///
/// Shaped like trained weights, so quantization meets what it meets in real checkpoints:
/// - projection matrices are heavy-tailed (see ``SeededGenerator/nextHeavyTailed()``) with a
///   few outlier input channels (columns scaled 4–12×), and are scaled so that a unit-RMS input
///   gives a unit-RMS output; output projections (`o_proj`, `down_proj`) are scaled down by
///   `√(2·layers)` so that the residual stream grows slowly through the blocks;
/// - the router is plain (no outliers) with unit-variance logits, so tokens spread over
///   experts; the correction bias is small;
/// - norm weights lie near one; embeddings have unit variance.
///
/// Each tensor has its own stream, split into fixed chunks of rows with their own streams, so
/// the values depend only on the seed and the name, never on the order of generation or the
/// number of threads.
package enum WeightSynthesizer {
    /// Elements generated per independent chunk.
    static let chunkElements = 1 << 16

    /// The float32 values of tensor `name` of `shape` (row-major).
    package static func values(
        name: String, shape: [Int], config: ModelConfig, seed: UInt64
    ) -> [Float] {
        let count = shape.reduce(1, *)
        let columns = max(shape.last ?? 1, 1)
        let rows = count / columns
        let kind = Kind(name: name)

        // Column gains: outlier input channels, then the scale that keeps the output variance.
        var columnGain = [Float](repeating: 1, count: columns)
        var energy = Double(columns)
        if kind.hasOutliers && shape.count == 2 {
            var picker = SeededGenerator(seed: seed, name: name + "#outliers")
            let outliers = min(columns, 1 + columns / 512)
            for _ in 0..<outliers {
                let column = picker.nextIndex(below: columns)
                let gain = 4 + 8 * picker.nextUnitFloat()
                energy += Double(gain * gain - columnGain[column] * columnGain[column])
                columnGain[column] = gain
            }
        }
        let std = kind.isMatrix ? Float(kind.gain(config) / energy.squareRoot()) : 1
        for c in 0..<columns { columnGain[c] *= std }

        let rowsPerChunk = max(1, chunkElements / columns)
        let chunks = (rows + rowsPerChunk - 1) / rowsPerChunk
        return [Float](unsafeUninitializedCapacity: count) { output, initialized in
            guard let base = output.baseAddress else { return }
            columnGain.withUnsafeBufferPointer { gains in
                parallelFor(chunks) { chunk in
                    var generator = SeededGenerator(seed: seed, name: name, chunk: chunk)
                    let rowStart = chunk * rowsPerChunk
                    let rowEnd = min(rowStart + rowsPerChunk, rows)
                    for r in rowStart..<rowEnd {
                        let row = base + r * columns
                        for c in 0..<columns {
                            row[c] = kind.sample(&generator, gain: gains[c])
                        }
                    }
                }
            }
            initialized = count
        }
    }

    /// What role a tensor plays, read from its name.
    private enum Kind {
        case norm
        case bias
        case embedding
        case router
        case inputProjection
        case outputProjection

        init(name: String) {
            if name.hasSuffix("e_score_correction_bias") {
                self = .bias
            } else if name.hasSuffix("norm.weight") {
                self = .norm
            } else if name.hasSuffix("embed_tokens.weight") {
                self = .embedding
            } else if name.hasSuffix("mlp.gate.weight") {
                self = .router
            } else if name.hasSuffix("o_proj.weight") || name.hasSuffix("down_proj.weight") {
                self = .outputProjection
            } else {
                self = .inputProjection
            }
        }

        var isMatrix: Bool {
            switch self {
            case .norm, .bias, .embedding: false
            case .router, .inputProjection, .outputProjection: true
            }
        }

        var hasOutliers: Bool { self == .inputProjection || self == .outputProjection }

        /// The RMS of the output for a unit-RMS input.
        func gain(_ config: ModelConfig) -> Double {
            switch self {
            case .outputProjection:
                1 / Double(2 * max(config.layerCount, 1)).squareRoot()
            default:
                1
            }
        }

        @inline(__always)
        func sample(_ generator: inout SeededGenerator, gain: Float) -> Float {
            switch self {
            case .norm: 1 + 0.05 * generator.nextNormalish()
            case .bias: 0.02 * generator.nextNormalish()
            case .embedding: generator.nextHeavyTailed()
            case .router: gain * generator.nextNormalish()
            case .inputProjection, .outputProjection: gain * generator.nextHeavyTailed()
            }
        }
    }
}
