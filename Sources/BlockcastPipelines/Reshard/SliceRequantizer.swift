import BlockcastContainers
import BlockcastFormats

/// Re-quantizes one rank's slice of an FP8 weight into blocks of its own
/// (sharding.md: a slice boundary inside a 128-block cannot be split cleanly).
///
/// The slice is dequantized with the input's scales (`W' = float32(Q) · scale_inv`), then
/// quantized afresh with ``BlockQuantizer``, so the new scale grid is
/// `ceil(rows/128) × ceil(columns/128)` of the slice — exactly what a runtime computes for a
/// weight of that size. The error reported is the one this adds on top of the input's FP8.
enum SliceRequantizer {
    /// One re-quantized slice.
    struct Slice {
        /// The E4M3 codes of the slice, row-major.
        let codes: [UInt8]
        /// The scale tensor bytes (float32 or e8m0, as the input's scale was).
        let scaleBytes: [UInt8]
        /// `Σ W'²` of the dequantized input slice.
        let signal: Double
        /// `Σ (W' − W'')²` between the input's and the new dequantized values.
        let noise: Double
        /// The largest absolute change of one element.
        let maxAbsoluteError: Float
    }

    /// The 256 E4M3FN values, for the dequantizing gather.
    private static let values: [Float] = (0..<256).map { Float8E4M3FN.decode(UInt8($0)) }

    /// Re-quantizes rows `rows` and columns `columns` of `weight` (E4M3 codes of shape
    /// `[M, K]`) whose scales `scale` have shape `[ceil(M/128), ceil(K/128)]`.
    static func requantize(
        weight: Tensor, scale: Tensor, rows: Range<Int>, columns: Range<Int>,
        scaleFormat: ScaleFormat
    ) -> Slice {
        let total = weight.shape[1]
        let scaleColumns = scale.shape[1]
        let scales = decodeScales(scale)
        let sliceRows = rows.count
        let sliceColumns = columns.count

        // Dequantize the slice, one row per iteration.
        var floats = [Float](repeating: 0, count: sliceRows * sliceColumns)
        floats.withUnsafeMutableBufferPointer { output in
            let out = output.baseAddress!
            weight.withUnsafeBytes { raw in
                let codes = raw.bindMemory(to: UInt8.self).baseAddress!
                values.withUnsafeBufferPointer { table in
                    scales.withUnsafeBufferPointer { scales in
                        parallelFor(sliceRows) { r in
                            let row = rows.lowerBound + r
                            let scaleRow = (row / 128) * scaleColumns
                            let source = codes + row * total
                            let target = out + r * sliceColumns
                            for c in 0..<sliceColumns {
                                let column = columns.lowerBound + c
                                target[c] =
                                    table[Int(source[column])] * scales[scaleRow + column / 128]
                            }
                        }
                    }
                }
            }
        }

        let (matrix, _) = floats.withUnsafeBufferPointer { input in
            BlockQuantizer.quantize(
                input, rows: sliceRows, columns: sliceColumns, scaleFormat: scaleFormat)
        }
        let scaleBytes: [UInt8]
        if scale.dtype == .float8E8M0 {
            scaleBytes = matrix.scaleInverseE8M0
        } else {
            scaleBytes = matrix.scaleInverse.withUnsafeBytes { Array($0) }
        }

        // The added error, measured against the input's dequantized values.
        var requantized = [Float](repeating: 0, count: floats.count)
        requantized.withUnsafeMutableBufferPointer { BlockQuantizer.dequantize(matrix, into: $0) }
        var signal = 0.0
        var noise = 0.0
        var maxError: Float = 0
        for index in floats.indices {
            let original = floats[index]
            let difference = original - requantized[index]
            signal += Double(original) * Double(original)
            noise += Double(difference) * Double(difference)
            maxError = max(maxError, abs(difference))
        }
        return Slice(
            codes: matrix.codes, scaleBytes: scaleBytes, signal: signal, noise: noise,
            maxAbsoluteError: maxError)
    }

    /// The scales as float32, whatever their stored type (F32, BF16 or e8m0).
    private static func decodeScales(_ scale: Tensor) -> [Float] {
        scale.withUnsafeBytes { raw in
            switch scale.dtype {
            case .float8E8M0:
                return raw.map { E8M0.decode($0) }
            case .bfloat16:
                return (0..<scale.elementCount).map {
                    BFloat16.decode(raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))
                }
            default:
                return (0..<scale.elementCount).map {
                    raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self)
                }
            }
        }
    }
}
