/// The error of rounding a float32 tensor to bfloat16, measured like the block quantizer's.
///
/// There are no tiles: `maxErrorRelativeToAmax` is the largest error over the tensor's own
/// amax (floored at 1e-4, as the quantizer floors a tile's). Work is split in fixed chunks whose
/// sums are added in chunk order, so the result does not depend on the thread count.
public enum RoundingStatistics {
    /// Measures `encoded` (bfloat16 bits) against the float32 `original` it was rounded from.
    public static func bfloat16(
        original: UnsafeBufferPointer<Float>, encoded: UnsafeBufferPointer<UInt16>
    ) -> QuantizationStatistics {
        precondition(original.count == encoded.count, "statistics: buffer sizes differ")
        let count = original.count
        let chunks = max(1, (count + bulkChunkElements - 1) / bulkChunkElements)
        var partial = [Partial](repeating: Partial(), count: chunks)
        if let input = original.baseAddress, let bits = encoded.baseAddress {
            partial.withUnsafeMutableBufferPointer { partial in
                let out = partial.baseAddress!
                parallelFor(chunks) { chunk in
                    let start = chunk * bulkChunkElements
                    out[chunk] = Partial(
                        input + start, bits + start, count: min(bulkChunkElements, count - start))
                }
            }
        }

        var signal = 0.0
        var noise = 0.0
        var maxErrorBits: UInt32 = 0
        var amaxBits: UInt32 = 0
        var flushed = 0
        for chunk in partial {
            signal += chunk.signal
            noise += chunk.noise
            maxErrorBits = max(maxErrorBits, chunk.maxErrorBits)
            amaxBits = max(amaxBits, chunk.amaxBits)
            flushed += chunk.flushed
        }
        let maxError = Float(bitPattern: maxErrorBits)
        return QuantizationStatistics(
            elementCount: count,
            sqnrDecibels: QuantizationStatistics.sqnr(signal: signal, noise: noise),
            maxAbsoluteError: maxError,
            maxErrorRelativeToAmax: maxError / max(Float(bitPattern: amaxBits), 1e-4),
            flushedToZero: flushed)
    }

    /// One chunk's sums. Magnitudes are compared as integer bits, which order like the values
    /// (NaN above infinity) and vectorize.
    private struct Partial {
        var signal = 0.0
        var noise = 0.0
        var maxErrorBits: UInt32 = 0
        var amaxBits: UInt32 = 0
        var flushed = 0

        init() {}

        init(_ input: UnsafePointer<Float>, _ bits: UnsafePointer<UInt16>, count: Int) {
            var flushedHere = 0
            for i in 0..<count {
                let w = input[i]
                let rounded = Float(bitPattern: UInt32(bits[i]) << 16)
                let error = w - rounded
                signal += Double(w) * Double(w)
                noise += Double(error) * Double(error)
                maxErrorBits = max(maxErrorBits, error.bitPattern & 0x7FFF_FFFF)
                amaxBits = max(amaxBits, w.bitPattern & 0x7FFF_FFFF)
                if w != 0 && rounded == 0 { flushedHere += 1 }
            }
            flushed = flushedHere
        }
    }
}
