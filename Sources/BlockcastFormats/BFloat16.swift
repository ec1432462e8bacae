/// The `bfloat16` format (the top half of a float32), as raw `UInt16` bits.
///
/// Encoding is round-to-nearest-even of the top 16 bits, as PyTorch does; overflow gives
/// ±infinity. Every NaN becomes PyTorch's canonical quiet NaN `0x7FC0` (payload and sign are not
/// kept; compare NaN-ness with other libraries).
public enum BFloat16 {
    /// The bits of `x` rounded to bfloat16.
    @inline(__always)
    public static func encode(_ x: Float) -> UInt16 {
        encodeBits(x.bitPattern)
    }

    /// The float32 value of the bfloat16 `bits` (exact).
    @inline(__always)
    public static func decode(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// `x` rounded to the nearest bfloat16 value, as a float32.
    @inline(__always)
    public static func round(_ x: Float) -> Float {
        decode(encode(x))
    }

    /// Encodes every element of `source` into `into` (same count), in parallel over large
    /// buffers.
    public static func encode(
        _ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<UInt16>
    ) {
        precondition(source.count == destination.count, "encode: buffer sizes differ")
        guard let input = source.baseAddress, let output = destination.baseAddress else { return }
        forEachBulkChunk(source.count) { start, end in
            for i in start..<end { output[i] = encodeBits(input[i].bitPattern) }
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
            for i in start..<end { output[i] = Float(bitPattern: UInt32(input[i]) << 16) }
        }
    }

    /// The branch-free encoder on float32 bits.
    @inline(__always)
    static func encodeBits(_ bits: UInt32) -> UInt16 {
        // A carry out of the mantissa bumps the exponent; out of the largest finite value it
        // lands exactly on infinity, and it can never reach the sign bit.
        let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16
        let code = Minifloat.isNaN(bits) ? 0x7FC0 : rounded
        return UInt16(truncatingIfNeeded: code)
    }
}
