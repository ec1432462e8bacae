import BlockcastContainers
import BlockcastFormats

/// Converts one input tensor as its plan entry says: FP8 with scales, bfloat16, float32, or
/// unchanged, checking for non-finite values on the way.
package enum TensorConverter {
    /// What converting one tensor produced.
    package struct Output: Sendable {
        /// The tensors to write, in order: the converted tensor, then its scale if any.
        package var tensors: [(name: String, tensor: Tensor)]
        /// The error: for FP8 tensors, and for bfloat16 ones when it was asked for.
        package var statistics: QuantizationStatistics?
    }

    /// Converts `tensor` (the input data of `entry`); `file` names the input in errors.
    /// With `measureBFloat16`, a tensor rounded to bfloat16 from a wider type gets statistics
    /// too (`quantize --to bf16`, where that rounding is the conversion asked for).
    package static func convert(
        _ tensor: Tensor, entry: QuantizePlan.Entry, scaleFormat: ScaleFormat,
        allowNonFinite: Bool, file: String, measureBFloat16: Bool = false
    ) throws(QuantizeError) -> Output {
        if entry.target == .keep {
            return Output(tensors: [(entry.name, tensor)], statistics: nil)
        }

        // Decode once to float32; an aligned float32 input is used in place.
        return try withFloats(tensor, name: entry.name) {
            (values) throws(QuantizeError) -> Output in
            if !allowNonFinite, let bad = firstNonFinite(values) {
                throw .nonFinite(tensor: entry.name, file: file, index: bad, value: values[bad])
            }

            switch entry.target {
            case .fp8:
                guard let scale = entry.scale else {
                    preconditionFailure("FP8 entry \(entry.name) without a scale")
                }
                // Codes and scales go straight into the output tensors' buffers.
                var scaleValues = [Float](repeating: 0, count: scale.shape.reduce(1, *))
                var statistics: QuantizationStatistics?
                let codes = Tensor(dtype: .float8E4M3FN, shape: entry.shape) { raw in
                    scaleValues.withUnsafeMutableBufferPointer { scaleBuffer in
                        statistics = BlockQuantizer.quantize(
                            values, rows: entry.shape[0], columns: entry.shape[1],
                            scaleFormat: scaleFormat, codes: raw.bindMemory(to: UInt8.self),
                            scaleInverse: scaleBuffer)
                    }
                }
                let scales: Tensor
                if scale.dtype == .float8E8M0 {
                    scales = Tensor(
                        dtype: .float8E8M0, shape: scale.shape,
                        bytes: scaleValues.map { E8M0.encode(powerOfTwo: $0) })
                } else {
                    scales = Tensor(floats: scaleValues, shape: scale.shape)
                }
                return Output(
                    tensors: [(entry.name, codes), (scale.name, scales)], statistics: statistics)
            case .bfloat16:
                var statistics: QuantizationStatistics?
                let converted = Tensor(dtype: .bfloat16, shape: entry.shape) { raw in
                    let bits = raw.bindMemory(to: UInt16.self)
                    BFloat16.encode(values, into: bits)
                    if measureBFloat16 && tensor.dtype != .bfloat16 {
                        statistics = RoundingStatistics.bfloat16(
                            original: values, encoded: UnsafeBufferPointer(bits))
                    }
                }
                return Output(tensors: [(entry.name, converted)], statistics: statistics)
            case .float32:
                let converted = Tensor(dtype: .float32, shape: entry.shape) { raw in
                    _ = raw.bindMemory(to: Float.self).initialize(from: values)
                }
                return Output(tensors: [(entry.name, converted)], statistics: nil)
            case .keep:
                return Output(tensors: [(entry.name, tensor)], statistics: nil)
            }
        }
    }

    /// The flat index of the first NaN or infinity, if any.
    ///
    /// An integer max of the exponent bits over each chunk (a reduction that vectorizes) says
    /// whether the chunk has one; only such a chunk is searched element by element.
    package static func firstNonFinite(_ values: UnsafeBufferPointer<Float>) -> Int? {
        guard let base = values.baseAddress else { return nil }
        let chunk = 1 << 14
        var start = 0
        while start < values.count {
            let end = min(start + chunk, values.count)
            var largest: UInt32 = 0
            for i in start..<end { largest = max(largest, base[i].bitPattern & 0x7F80_0000) }
            if largest == 0x7F80_0000 {
                for i in start..<end where !base[i].isFinite { return i }
            }
            start = end
        }
        return nil
    }

    /// Calls `body` with the tensor's values as float32.
    private static func withFloats<R>(
        _ tensor: Tensor, name: String,
        _ body: (UnsafeBufferPointer<Float>) throws(QuantizeError) -> R
    ) throws(QuantizeError) -> R {
        let direct: UnsafeBufferPointer<Float>? = tensor.withUnsafeBytes { raw in
            guard tensor.dtype == .float32, let base = raw.baseAddress,
                Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0
            else { return nil }
            return UnsafeBufferPointer(
                start: base.assumingMemoryBound(to: Float.self), count: tensor.elementCount)
        }
        if let direct {
            // The tensor's storage outlives the call: `tensor` is held until it returns.
            return try withExtendedLifetime(tensor) { () throws(QuantizeError) -> R in
                try body(direct)
            }
        }

        let decoded: [Float]
        do {
            decoded = try tensor.floats()
        } catch {
            throw .unsupportedType(tensor: name, dtype: tensor.dtype.rawValue)
        }
        return try decoded.withUnsafeBufferPointer { (buffer) throws(QuantizeError) -> R in
            try body(buffer)
        }
    }
}
