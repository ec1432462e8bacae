/// The one-byte scale format `e8m0` (safetensors `F8_E8M0`): an unsigned power of two
/// `2^(code - 127)` for codes 0…254, and `0xFF` = NaN.
public enum E8M0 {
    /// The code of the smallest power of two at or above `powerOfTwo`.
    ///
    /// Meant for values that already are powers of two (ue8m0 scales), which encode exactly.
    /// Other positive values round up, computed on the bits like the ue8m0 scale rule: the
    /// float32 exponent field, plus one when mantissa bits are set. Values at or below 2^-127
    /// (zero included) give 0; values above 2^127, infinity, negative values and NaN give
    /// `0xFF`.
    public static func encode(powerOfTwo: Float) -> UInt8 {
        let bits = powerOfTwo.bitPattern
        if bits & 0x8000_0000 != 0 && bits != 0x8000_0000 { return 0xFF }
        let magnitude = bits & 0x7FFF_FFFF
        if magnitude >= 0x7F80_0000 { return 0xFF }

        // Subnormal float32: 2^-127 is the only subnormal power of two the format has.
        if magnitude <= 0x0040_0000 { return 0 }
        if magnitude < 0x0080_0000 { return 1 }

        let exponent = magnitude >> 23
        let roundUp: UInt32 = magnitude & 0x7F_FFFF != 0 ? 1 : 0
        let code = exponent + roundUp
        return code > 254 ? 0xFF : UInt8(code)
    }

    /// The value of `code`: `2^(code - 127)`, or NaN for `0xFF`.
    public static func decode(_ code: UInt8) -> Float {
        switch code {
        case 0xFF: .nan
        case 0: Float(bitPattern: 0x0040_0000)
        default: Float(bitPattern: UInt32(code) << 23)
        }
    }

    /// Encodes every element of `source` into `into` (same count) with
    /// ``encode(powerOfTwo:)``, in parallel over large buffers.
    public static func encode(
        _ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<UInt8>
    ) {
        precondition(source.count == destination.count, "encode: buffer sizes differ")
        guard let input = source.baseAddress, let output = destination.baseAddress else { return }
        forEachBulkChunk(source.count) { start, end in
            for i in start..<end { output[i] = encode(powerOfTwo: input[i]) }
        }
    }

    /// Decodes every code of `source` into `into` (same count), in parallel over large buffers.
    public static func decode(
        _ source: UnsafeBufferPointer<UInt8>, into destination: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(source.count == destination.count, "decode: buffer sizes differ")
        guard let input = source.baseAddress, let output = destination.baseAddress else { return }
        forEachBulkChunk(source.count) { start, end in
            for i in start..<end { output[i] = decode(input[i]) }
        }
    }
}
