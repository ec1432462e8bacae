import BlockcastFormats
import Testing

/// Hand-computed codes for the values where formats usually go wrong: the saturation and
/// overflow thresholds, ties, subnormals, zeros, infinities and NaN.
@Suite struct CodecEdgeCaseTests {
    typealias Row = (input: Float, code: UInt32)

    static let e4m3Rows: [Row] = [
        (448, 0x7E), (463.9, 0x7E), (464, 0x7E), (480, 0x7E), (1e6, 0x7E), (-1e6, 0xFE),
        (.infinity, 0x7E), (-.infinity, 0xFE), (.nan, 0x7F), (-.nan, 0xFF),
        (0x1p-10, 0x00), (0.5 * 0x1p-9, 0x00), (0.51 * 0x1p-9, 0x01), (0x1p-9, 0x01),
        (1.5 * 0x1p-9, 0x02), (2.5 * 0x1p-9, 0x02), (0x1p-6, 0x08), (-0x1p-6, 0x88),
        (0x1.Cp-7, 0x07), (0, 0x00), (-0.0, 0x80), (1, 0x38), (-1, 0xB8), (432, 0x7E),
        (424, 0x7D), (.leastNonzeroMagnitude, 0x00), (-.leastNonzeroMagnitude, 0x80),
    ]

    static let e5m2Rows: [Row] = [
        (57344, 0x7B), (61439, 0x7B), (61440, 0x7C), (1e6, 0x7C), (-1e6, 0xFC),
        (.infinity, 0x7C), (-.infinity, 0xFC), (.nan, 0x7F), (-.nan, 0xFF), (448, 0x5F),
        (480, 0x60), (0x1p-16, 0x01), (0x1p-17, 0x00), (0.51 * 0x1p-16, 0x01), (0x1p-14, 0x04),
        (0, 0x00), (-0.0, 0x80), (1, 0x3C), (.greatestFiniteMagnitude, 0x7C),
    ]

    static let bfloat16Rows: [Row] = [
        (1 + 0x1p-8, 0x3F80), (1 + 3 * 0x1p-8, 0x3F82), (1 + 0x1p-8 + 0x1p-23, 0x3F81),
        (.greatestFiniteMagnitude, 0x7F80), (-.greatestFiniteMagnitude, 0xFF80),
        (.infinity, 0x7F80), (-.infinity, 0xFF80), (.nan, 0x7FC0), (-.nan, 0x7FC0), (0, 0),
        (-0.0, 0x8000), (.leastNonzeroMagnitude, 0), (0x1p-133, 0x0001), (0x1p-126, 0x0080),
    ]

    static let float16Rows: [Row] = [
        (65504, 0x7BFF), (65519, 0x7BFF), (65520, 0x7C00), (1e6, 0x7C00), (.infinity, 0x7C00),
        (-.infinity, 0xFC00), (.nan, 0x7E00), (-.nan, 0xFE00),
        (0x1p-24, 0x0001), (0x1p-25, 0x0000), (0x1.8p-24, 0x0002), (0x1p-14, 0x0400),
        (-0.0, 0x8000), (1, 0x3C00), (1 + 0x1p-11, 0x3C00), (1 + 3 * 0x1p-11, 0x3C02),
    ]

    @Test func e4m3fnEdgeCases() {
        check(Self.e4m3Rows, "float8_e4m3fn") {
            UInt32(Float8E4M3FN.encode($0))
        } bulk: { input in
            var out = [UInt8](repeating: 0, count: input.count)
            input.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { Float8E4M3FN.encode(s, into: $0) }
            }
            return out.map(UInt32.init)
        }
        #expect(Float8E4M3FN.maxFinite == 448 && Float8E4M3FN.decode(0x7E) == 448)
    }

    @Test func e5m2EdgeCases() {
        check(Self.e5m2Rows, "float8_e5m2") {
            UInt32(Float8E5M2.encode($0))
        } bulk: { input in
            var out = [UInt8](repeating: 0, count: input.count)
            input.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { Float8E5M2.encode(s, into: $0) }
            }
            return out.map(UInt32.init)
        }
        #expect(Float8E5M2.decode(0x7B) == Float8E5M2.maxFinite)
    }

    @Test func bfloat16EdgeCases() {
        check(Self.bfloat16Rows, "bfloat16") {
            UInt32(BFloat16.encode($0))
        } bulk: { input in
            var out = [UInt16](repeating: 0, count: input.count)
            input.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { BFloat16.encode(s, into: $0) }
            }
            return out.map(UInt32.init)
        }
        #expect(BFloat16.round(1 + 0x1p-7 + 0x1p-9) == 1 + 0x1p-7)
        #expect(BFloat16.round(.nan).isNaN)
    }

    @Test func float16EdgeCases() {
        check(Self.float16Rows, "float16") {
            UInt32(Half.encode($0))
        } bulk: { input in
            var out = [UInt16](repeating: 0, count: input.count)
            input.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { Half.encode(s, into: $0) }
            }
            return out.map(UInt32.init)
        }
    }

    /// Scalar encoders agree with the bulk ones (which the exhaustive tests cover) on a
    /// spread of bit patterns.
    @Test func scalarEncodersMatchTheBulkOnes() {
        var generator = SplitMix64(seed: 7)
        let inputs = (0..<100_000).map { _ in
            Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))
        }
        var e4m3 = [UInt8](repeating: 0, count: inputs.count)
        var e5m2 = [UInt8](repeating: 0, count: inputs.count)
        var bf16 = [UInt16](repeating: 0, count: inputs.count)
        var f16 = [UInt16](repeating: 0, count: inputs.count)
        inputs.withUnsafeBufferPointer { s in
            e4m3.withUnsafeMutableBufferPointer { Float8E4M3FN.encode(s, into: $0) }
            e5m2.withUnsafeMutableBufferPointer { Float8E5M2.encode(s, into: $0) }
            bf16.withUnsafeMutableBufferPointer { BFloat16.encode(s, into: $0) }
            f16.withUnsafeMutableBufferPointer { Half.encode(s, into: $0) }
        }
        let mismatches = inputs.indices.filter { i in
            let x = inputs[i]
            return Float8E4M3FN.encode(x) != e4m3[i] || Float8E5M2.encode(x) != e5m2[i]
                || BFloat16.encode(x) != bf16[i] || Half.encode(x) != f16[i]
        }
        #expect(mismatches.isEmpty, "scalar ≠ bulk for \(mismatches.prefix(5).map { inputs[$0] })")
    }

    private func check(
        _ rows: [Row], _ format: String, scalar: (Float) -> UInt32, bulk: ([Float]) -> [UInt32]
    ) {
        let bulkCodes = bulk(rows.map(\.input))
        for (row, bulkCode) in zip(rows, bulkCodes) {
            let observed = scalar(row.input)
            #expect(
                observed == row.code && bulkCode == row.code,
                """
                \(format) of \(row.input) (0x\(String(row.input.bitPattern, radix: 16))): \
                expected 0x\(String(row.code, radix: 16)), scalar 0x\(String(observed, radix: 16)), \
                bulk 0x\(String(bulkCode, radix: 16))
                """)
        }
    }
}

/// A small deterministic generator so test inputs are reproducible.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
