/// IEEE `float16` (1 sign, 5 exponent, 10 mantissa bits), as raw `UInt16` bits.
///
/// Conversions use Swift's `Float16`, which on x86-64-v3 compiles to the F16C instructions
/// (round to nearest even, subnormals, overflow to ±infinity, NaN kept quiet with its sign and
/// top payload bits). The exhaustive tests check every float32 input against a reference.
public enum Half {
    /// The float16 bits of `x`.
    @inline(__always)
    public static func encode(_ x: Float) -> UInt16 {
        Float16(x).bitPattern
    }

    /// The float32 value of the float16 `bits` (exact).
    @inline(__always)
    public static func decode(_ bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// Encodes every element of `source` into `into` (same count), in parallel over large
    /// buffers.
    public static func encode(
        _ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<UInt16>
    ) {
        precondition(source.count == destination.count, "encode: buffer sizes differ")
        guard let input = source.baseAddress, let output = destination.baseAddress else { return }
        forEachBulkChunk(source.count) { start, end in
            for i in start..<end { output[i] = Float16(input[i]).bitPattern }
        }
    }

    /// Decodes every element of `source` into `into` (same count), in parallel over large
    /// buffers.
    public static func decode(
        _ source: UnsafeBufferPointer<UInt16>, into destination: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(source.count == destination.count, "decode: buffer sizes differ")
        guard let input = source.baseAddress, let output = destination.baseAddress else { return }
        forEachBulkChunk(source.count) { start, end in
            for i in start..<end { output[i] = Float(Float16(bitPattern: input[i])) }
        }
    }
}
