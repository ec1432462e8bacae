/// The FP8 format `float8_e5m2` (1 sign, 5 exponent, 2 mantissa bits, bias 15, IEEE-like).
///
/// Encoding follows PyTorch: round to nearest, ties to even, subnormals included; results
/// beyond 57344 after rounding become ±infinity (`0x7C` / `0xFC`), as do infinite inputs. NaN
/// becomes `0x7F` with the input's sign bit kept (`0xFF` for `-nan`).
public enum Float8E5M2 {
    /// The largest finite value, 57344.
    public static let maxFinite: Float = 57344

    /// The code of `x`.
    @inline(__always)
    public static func encode(_ x: Float) -> UInt8 {
        encodeBits(x.bitPattern)
    }

    /// The value of `code` (`0x7C` is infinity, `0x7D`…`0x7F` are NaN, likewise negative).
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
    @inline(__always)
    static func encodeBits(_ bits: UInt32) -> UInt8 {
        let sign = (bits >> 24) & 0x80
        let magnitude = bits & 0x7FFF_FFFF

        // 65536 is the first value whose code is infinity; clamping there sends everything
        // that rounds past 57344 (and infinity) to 0x7C.
        let clamped = min(magnitude, 0x4780_0000)
        let rounded = Minifloat.roundMagnitude(clamped, mantissaBits: 2, bias: 15)
        let code = magnitude > 0x7F80_0000 ? 0x7F : rounded
        return UInt8(truncatingIfNeeded: code | sign)
    }

    /// The branch-free decoder.
    @inline(__always)
    static func decodeValue(_ code: UInt8) -> Float {
        let c = UInt32(code)
        let sign = (c & 0x80) << 24
        let magnitude = c & 0x7F
        let finite = Minifloat.decodeMagnitude(magnitude, mantissaBits: 2, bias: 15)

        // Exponent all ones: infinity (mantissa 0) or a quiet NaN.
        let special = magnitude == 0x7C ? 0x7F80_0000 : 0x7FC0_0000 as UInt32
        let bits = magnitude >= 0x7C ? special : finite
        return Float(bitPattern: bits | sign)
    }
}
