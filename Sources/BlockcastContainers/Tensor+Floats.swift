import BlockcastFormats

extension Tensor {
    /// The elements decoded to float32 (exact for every floating-point dtype but `F64`, which
    /// rounds to nearest).
    ///
    /// Throws ``ContainerError/Code/unsupportedType`` for integer and boolean tensors, whose
    /// values are not weights.
    public func floats() throws(ContainerError) -> [Float] {
        let count = elementCount
        let dtype = self.dtype
        guard dtype.isFloatingPoint else {
            throw ContainerError(
                .unsupportedType,
                "A \(dtype.rawValue) tensor has no float values; expected a floating-point dtype.")
        }
        return withUnsafeBytes { raw in
            [Float](unsafeUninitializedCapacity: count) { output, initialized in
                Tensor.decode(raw, dtype: dtype, into: output)
                initialized = count
            }
        }
    }

    private static func decode(
        _ raw: UnsafeRawBufferPointer, dtype: DType, into output: UnsafeMutableBufferPointer<Float>
    ) {
        // Mapped tensors can start at any byte offset; the bulk codecs want aligned input.
        let width = dtype.byteWidth
        if let base = raw.baseAddress, Int(bitPattern: base) % width != 0 {
            let aligned = UnsafeMutableRawBufferPointer.allocate(
                byteCount: raw.count, alignment: 16)
            defer { aligned.deallocate() }
            aligned.copyMemory(from: raw)
            decode(UnsafeRawBufferPointer(aligned), dtype: dtype, into: output)
            return
        }

        switch dtype {
        case .float32:
            _ = output.initialize(from: raw.bindMemory(to: Float.self))
        case .float64:
            for (i, value) in raw.bindMemory(to: Double.self).enumerated() {
                output[i] = Float(value)
            }
        case .float16:
            Half.decode(raw.bindMemory(to: UInt16.self), into: output)
        case .bfloat16:
            BFloat16.decode(raw.bindMemory(to: UInt16.self), into: output)
        case .float8E4M3FN:
            Float8E4M3FN.decode(raw.bindMemory(to: UInt8.self), into: output)
        case .float8E5M2:
            Float8E5M2.decode(raw.bindMemory(to: UInt8.self), into: output)
        case .float8E8M0:
            for (i, code) in raw.bindMemory(to: UInt8.self).enumerated() {
                output[i] = E8M0.decode(code)
            }
        default:
            preconditionFailure("decode called for \(dtype)")
        }
    }
}
