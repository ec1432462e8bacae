/// The rounding arithmetic shared by the narrow float formats.
///
/// Every encoder here works on the float32 bit pattern with integer operations and one float
/// addition, and has no branches, so a plain loop over a buffer vectorizes (the design notes
/// explain why `SIMDMask` is avoided). Rounding is to nearest, ties to even, subnormals
/// included, which is what PyTorch's casts do.
enum Minifloat {
    /// Rounds the magnitude bits `a` (sign cleared, not NaN, already clamped to the largest
    /// value the caller accepts) to a format with `mantissaBits` mantissa bits and exponent
    /// `bias`, returning the unsigned code.
    ///
    /// Normal results: rebias the exponent and drop the low `23 - mantissaBits` bits with
    /// round-half-even; a carry out of the mantissa correctly bumps the exponent. Subnormal
    /// results: adding a power of two whose unit in the last place is the format's smallest
    /// subnormal makes the float adder do the rounding, and the difference of the bit patterns
    /// is the code.
    @inline(__always)
    static func roundMagnitude(_ a: UInt32, mantissaBits: UInt32, bias: UInt32) -> UInt32 {
        let shift = 23 - mantissaBits
        let rebias = (127 - bias) << 23
        let minNormal = (128 - bias) << 23
        let magic = (151 - bias - mantissaBits) << 23

        let biased = a &- rebias
        let normal = (biased &+ ((1 << (shift - 1)) - 1) &+ ((biased >> shift) & 1)) >> shift
        let sum = Float(bitPattern: a) + Float(bitPattern: magic)
        let subnormal = sum.bitPattern &- magic
        return a < minNormal ? subnormal : normal
    }

    /// Whether the float32 bits are a NaN.
    @inline(__always)
    static func isNaN(_ bits: UInt32) -> Bool {
        bits & 0x7FFF_FFFF > 0x7F80_0000
    }

    /// Decodes the unsigned code of a format with `mantissaBits` mantissa bits and exponent
    /// `bias` into float32 bits, assuming the code is finite (callers handle inf and NaN).
    @inline(__always)
    static func decodeMagnitude(_ code: UInt32, mantissaBits: UInt32, bias: UInt32) -> UInt32 {
        let exponent = code >> mantissaBits
        let mantissa = code & ((1 << mantissaBits) - 1)
        let normal = ((exponent &+ (127 - bias)) << 23) | (mantissa << (23 - mantissaBits))

        // Subnormal: mantissa · 2^(1 - bias - mantissaBits), exact in float32.
        let unit = Float(bitPattern: (128 - bias - mantissaBits) << 23)
        let subnormal = (Float(Int32(bitPattern: mantissa)) * unit).bitPattern
        return exponent == 0 ? subnormal : normal
    }
}

/// Elements per chunk of the bulk codecs: large enough to amortise scheduling, small enough to
/// spread a few megabytes over all cores. Fixed, so output never depends on the thread count.
let bulkChunkElements = 1 << 16

/// Runs `body(start, end)` over consecutive element ranges of a buffer of `count` elements,
/// in parallel when the buffer spans more than one chunk.
@inline(__always)
func forEachBulkChunk(_ count: Int, _ body: (Int, Int) -> Void) {
    if count <= bulkChunkElements {
        body(0, count)
        return
    }
    let chunks = (count + bulkChunkElements - 1) / bulkChunkElements
    parallelFor(chunks) { chunk in
        let start = chunk * bulkChunkElements
        body(start, min(start + bulkChunkElements, count))
    }
}
