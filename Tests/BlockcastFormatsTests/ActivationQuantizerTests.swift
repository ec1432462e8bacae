import BlockcastFormats
import Testing

@Suite struct ActivationQuantizerTests {
    @Test(
        arguments: [(1, 1), (3, 300), (5, 128), (2, 129), (64, 1024), (0, 7)],
        ScaleFormat.allCases)
    func matchesThePerTokenReference(_ shape: (Int, Int), _ format: ScaleFormat) {
        let (rows, columns) = shape
        var generator = SplitMix64(seed: UInt64(rows * 1000 + columns))
        var x = (0..<(rows * columns)).map { _ in
            Float(Int64(bitPattern: generator.next()) >> 40) / Float(1 << 20)
        }
        if columns > 128 {
            for c in 0..<128 { x[c] = 0 }
        }
        let groups = (columns + 127) / 128
        var codes = [UInt8](repeating: 0xAA, count: x.count)
        var scales = [Float](repeating: .nan, count: rows * groups)
        x.withUnsafeBufferPointer { input in
            codes.withUnsafeMutableBufferPointer { codes in
                scales.withUnsafeMutableBufferPointer { scales in
                    ActivationQuantizer.quantize(
                        input, rows: rows, columns: columns, scaleFormat: format, codes: codes,
                        scales: scales)
                }
            }
        }

        // The reference: every 1 × 128 group of every row on its own.
        let e4m3 = ReferenceEncoder(.e4m3fn)
        var expectedCodes = [UInt8](repeating: 0, count: x.count)
        var expectedScales: [Float] = []
        for r in 0..<rows {
            for g in 0..<groups {
                let range = (r * columns + g * 128)..<(r * columns + min(g * 128 + 128, columns))
                var s = max(range.map { abs(x[$0]) }.max() ?? 0, 1e-4) / 448
                if format == .ue8m0 {
                    var power: Float = 1
                    while power < s { power *= 2 }
                    while power / 2 >= s { power /= 2 }
                    s = power
                }
                expectedScales.append(s)
                for i in range { expectedCodes[i] = UInt8(e4m3.encode(x[i] / s)) }
            }
        }
        #expect(scales.map(\.bitPattern) == expectedScales.map(\.bitPattern))
        #expect(codes == expectedCodes)
    }
}
