/// The FP8 format `float8_e4m3fn` (1 sign, 4 exponent, 3 mantissa bits, bias 7, no infinity).
///
/// Encoding follows PyTorch: round to nearest, ties to even, subnormals included. Finite values
/// beyond ±448 and ±infinity saturate to ±448 (`0x7E` / `0xFE`). NaN becomes `0x7F` with the
/// input's sign bit kept, so `-nan` gives `0xFF`; both are the format's only NaN codes.
/// (ml_dtypes differs on overflow: it gives NaN where this saturates.)
public enum Float8E4M3FN {
    /// The largest finite value, 448.
    public static let maxFinite: Float = 448

    /// The code of `x`.
    @inline(__always)
    public static func encode(_ x: Float) -> UInt8 {
        encodeBits(x.bitPattern)
    }

    /// The value of `code` (`0x7F` and `0xFF` are NaN).
    @inline(__always)
    public static func decode(_ code: UInt8) -> Float {
        decodeValue(code)
    }

    /// Encodes every element of `source` into `into` (same count), in parallel over large
    /// buffers.
    public static func encode(
        _ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<UInt8>
    ) {
        precondition(source.count == destination.count, "encode: buffer sizes differ")
        guard let input = source.baseAddress, let output = destination.baseAddress else { return }
        forEachBulkChunk(source.count) { start, end in
            for i in start..<end { output[i] = encodeBits(input[i].bitPattern) }
        }
    }

    /// Decodes every code of `source` into `into` (same count), in parallel over large buffers.
    public static func decode(
        _ source: UnsafeBufferPointer<UInt8>, into destination: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(source.count == destination.count, "decode: buffer sizes differ")
        guard let input = source.baseAddress, let output = destination.baseAddress else { return }
        forEachBulkChunk(source.count) { start, end in
            for i in start..<end { output[i] = decodeValue(input[i]) }
        }
    }

    /// The branch-free encoder on float32 bits.
    /// `package` so the exhaustive tests can check the quantizer's encoder against it.
    @inline(__always)
    package static func encodeBits(_ bits: UInt32) -> UInt8 {
        let sign = (bits >> 24) & 0x80
        let magnitude = bits & 0x7FFF_FFFF

        // Clamping the bits at 448 saturates everything larger, infinity included.
        let clamped = min(magnitude, 0x43E0_0000)
        let rounded = Minifloat.roundMagnitude(clamped, mantissaBits: 3, bias: 7)
        let code = magnitude > 0x7F80_0000 ? 0x7F : rounded
        return UInt8(truncatingIfNeeded: code | sign)
    }

    /// Encodes and, in the same steps, returns the value of the code as a float32 (exact),
    /// which the quantizer needs for its error statistics; cheaper than decoding the code.
    ///
    /// The value is meaningless for NaN inputs (the code is still `0x7F` / `0xFF`).
    /// `package` and inlinable so the exhaustive tests can sweep it directly at full speed.
    @inlinable @inline(__always)
    package static func encodeWithValue(_ bits: UInt32) -> (code: UInt8, value: Float) {
        let sign = bits & 0x8000_0000
        let magnitude = bits & 0x7FFF_FFFF
        let clamped = min(magnitude, 0x43E0_0000)

        // Normal results: round the float32 bits to 3 mantissa bits; the rounded bits are the
        // value itself.
        let rounded = clamped &+ 0x7_FFFF &+ ((clamped >> 20) & 1)
        let normalCode = (rounded >> 20) &- (120 << 3)
        let normalValue = Float(bitPattern: rounded & 0xFFF0_0000)

        // Subnormal results: the float adder rounds to a multiple of 2^-9.
        let magic = Float(bitPattern: 141 << 23)
        let sum = Float(bitPattern: clamped) + magic
        let subnormalCode = sum.bitPattern &- magic.bitPattern
        let subnormalValue = sum - magic

        let isSubnormal = clamped < 0x3C80_0000
        let unsignedCode = isSubnormal ? subnormalCode : normalCode
        let value = isSubnormal ? subnormalValue : normalValue
        let code = magnitude > 0x7F80_0000 ? 0x7F : unsignedCode
        return (
            UInt8(truncatingIfNeeded: code | sign >> 24),
            Float(bitPattern: value.bitPattern | sign)
        )
    }

    /// The branch-free decoder (arithmetic, no table, so bulk loops vectorize).
    /// `package` so the exhaustive tests can check the quantizer's values against it.
    @inline(__always)
    package static func decodeValue(_ code: UInt8) -> Float {
        let c = UInt32(code)
        let sign = (c & 0x80) << 24
        let magnitude = c & 0x7F
        let finite = Minifloat.decodeMagnitude(magnitude, mantissaBits: 3, bias: 7)
        let bits = magnitude == 0x7F ? 0x7FC0_0000 : finite
        return Float(bitPattern: bits | sign)
    }
}
