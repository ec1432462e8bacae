import BlockcastFormats

/// An independent description of a narrow float format, for checking the codecs.
///
/// Nothing here shares code or bit tricks with the encoders: values come from
/// `sign · 2^e · (1 + m / 2^k)` in Double, and rounding comes from comparing with the exact
/// midpoints between neighbouring representable values (ties to the even code).
struct ReferenceFormat: Sendable, CustomStringConvertible {
    var name: String
    var exponentBits: Int
    var mantissaBits: Int
    var bias: Int
    /// IEEE-like (all-ones exponent = inf/NaN) rather than "fn" (only all-ones code = NaN).
    var hasInfinity: Bool

    static let e4m3fn = ReferenceFormat(
        name: "float8_e4m3fn", exponentBits: 4, mantissaBits: 3, bias: 7, hasInfinity: false)
    static let e5m2 = ReferenceFormat(
        name: "float8_e5m2", exponentBits: 5, mantissaBits: 2, bias: 15, hasInfinity: true)
    static let bfloat16 = ReferenceFormat(
        name: "bfloat16", exponentBits: 8, mantissaBits: 7, bias: 127, hasInfinity: true)
    static let float16 = ReferenceFormat(
        name: "float16", exponentBits: 5, mantissaBits: 10, bias: 15, hasInfinity: true)

    var description: String { name }
    var totalBits: Int { 1 + exponentBits + mantissaBits }
    var signBit: Int { 1 << (totalBits - 1) }
    var codeCount: Int { 1 << totalBits }

    /// The value of `code`, computed from the definition.
    func value(_ code: Int) -> Double {
        let negative = code & signBit != 0
        let exponent = (code >> mantissaBits) & ((1 << exponentBits) - 1)
        let mantissa = code & ((1 << mantissaBits) - 1)
        let allOnes = (1 << exponentBits) - 1
        let fraction = Double(mantissa) / Double(1 << mantissaBits)

        var magnitude: Double
        if hasInfinity && exponent == allOnes {
            magnitude = mantissa == 0 ? .infinity : .nan
        } else if !hasInfinity && exponent == allOnes && mantissa == (1 << mantissaBits) - 1 {
            magnitude = .nan
        } else if exponent == 0 {
            magnitude = Double.pow2(1 - bias) * fraction
        } else {
            magnitude = Double.pow2(exponent - bias) * (1 + fraction)
        }
        return negative ? -magnitude : magnitude
    }

    /// The largest finite positive code.
    var maxFiniteCode: Int {
        (0..<signBit).last { value($0).isFinite }!
    }

    /// For every positive code that a non-NaN float32 can round to, in increasing order, the
    /// smallest float32 magnitude bit pattern that rounds to it.
    ///
    /// Float32 magnitudes order like their bit patterns, so the expected code of a magnitude
    /// `a` is the last entry whose start is at most `a`. Formats with infinity get one more
    /// entry, the infinity code, reached by values at or past the midpoint between the largest
    /// finite value and the next power of two (IEEE overflow); the fn format saturates, so
    /// its last finite code covers everything up to infinity.
    func roundingTable() -> [(start: UInt32, code: Int)] {
        let top = maxFiniteCode
        var values = (0...top).map { value($0) }
        var codes = Array(0...top)
        if hasInfinity {
            let largestExponent = (1 << exponentBits) - 2 - bias
            values.append(Double.pow2(largestExponent + 1))
            codes.append(top + 1)
        }

        var table: [(start: UInt32, code: Int)] = [(0, 0)]
        for k in 1..<values.count {
            precondition(values[k] > values[k - 1], "\(name): codes not increasing at \(k)")
            let midpoint = (values[k - 1] + values[k]) / 2
            let bits = Float(midpoint).bitPattern
            precondition(Double(Float(midpoint)) == midpoint, "\(name): midpoint not exact")

            // A value exactly on the midpoint goes to the even code.
            let start = codes[k - 1] % 2 == 0 ? bits + 1 : bits
            table.append((start, codes[k]))
        }
        return table
    }
}

extension Double {
    /// 2^n, exactly.
    static func pow2(_ n: Int) -> Double {
        Double(sign: .plus, exponent: n, significand: 1)
    }
}

/// A slow scalar encoder built only from ``ReferenceFormat/roundingTable()``.
struct ReferenceEncoder: Sendable {
    let format: ReferenceFormat
    private let starts: [UInt32]
    private let codes: [UInt32]

    init(_ format: ReferenceFormat) {
        self.format = format
        let table = format.roundingTable()
        starts = table.map(\.start)
        codes = table.map { UInt32($0.code) }
    }

    /// The code of a non-NaN `x` (NaN inputs are the caller's business).
    func encode(_ x: Float) -> UInt32 {
        precondition(!x.isNaN, "reference encoder: NaN has no nearest value")
        let magnitude = x.bitPattern & 0x7FFF_FFFF
        var low = 0
        var high = starts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if starts[middle] <= magnitude { low = middle } else { high = middle - 1 }
        }
        return codes[low] | (x.sign == .minus ? UInt32(format.signBit) : 0)
    }

    /// The value of `code` as a float32.
    func decode(_ code: UInt32) -> Float {
        Float(format.value(Int(code)))
    }
}

/// An independent description of what ``E8M0/encode(powerOfTwo:)`` must return, written from
/// its documented contract and the values of the codes, not from the encoder's bit tricks.
///
/// Code `k` in 0…254 stands for `2^(k - 127)`, computed exactly in Double. A positive input
/// gets the smallest `k` whose value is at or above it; inputs at or below `2^-127` (±0
/// included) give 0; inputs above `2^127`, infinity, negative non-zero values and NaN give
/// `0xFF`.
enum ReferenceE8M0 {
    /// The value of code `k` (0…254), exactly.
    static func value(_ k: Int) -> Double {
        Double.pow2(k - 127)
    }

    /// The expected code of `x`, one case of the contract at a time (slow; for spot checks).
    static func code(_ x: Float) -> UInt8 {
        if x.isNaN { return 0xFF }
        if x == 0 { return 0 }
        if x < 0 { return 0xFF }
        let v = Double(x)
        if v <= value(0) { return 0 }
        if v > value(254) { return 0xFF }
        return UInt8((1...254).first { value($0) >= v }!)
    }

    /// The whole float32 bit-pattern space as runs of equal expected code: each entry is the
    /// first bit pattern of a run and its code, and a run lasts until the next entry's start
    /// (the last one until 2^32).
    ///
    /// Built from the values: non-negative float32 values order like their bit patterns, with
    /// +infinity and then the NaNs with the sign bit clear after the largest finite value;
    /// `-0` follows them, then negative values of growing magnitude, -infinity and the
    /// negative NaNs. So code `k` covers `(value(k - 1), value(k)]`, which starts at the float
    /// just above `value(k - 1)`.
    static func runTable() -> [(start: UInt32, code: UInt8)] {
        var table: [(start: UInt32, code: UInt8)] = [(Float(0).bitPattern, 0)]
        for k in 1...255 {
            let below = Float(value(k - 1))
            precondition(Double(below) == value(k - 1), "e8m0: 2^\(k - 128) is not a float32")
            // Past 2^127 every input, finite or not, is out of range.
            table.append((below.nextUp.bitPattern, k == 255 ? 0xFF : UInt8(k)))
        }
        table.append(((-Float.zero).bitPattern, 0))
        table.append(((-Float.leastNonzeroMagnitude).bitPattern, 0xFF))
        for k in 1..<table.count {
            precondition(table[k].start > table[k - 1].start, "e8m0: runs out of order at \(k)")
        }
        return table
    }
}
