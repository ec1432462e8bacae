import BlockcastFormats
import Foundation
import Testing

/// The tiled kernel against a plain reference written from quantization.md with simple loops
/// and the table-driven reference encoder.
@Suite struct BlockQuantizerTests {
    static let e4m3 = ReferenceEncoder(.e4m3fn)
    static let bf16 = ReferenceEncoder(.bfloat16)

    /// A shape and the kind of content that stresses it.
    struct Input: Sendable, CustomStringConvertible {
        var rows: Int
        var columns: Int
        var seed: UInt64
        var description: String { "\(rows)×\(columns) seed \(seed)" }

        /// Gaussian-ish values with one zero tile, a huge outlier, a subnormal tile and a tile
        /// below the amax floor, wherever the shape has room for them.
        func values() -> [Float] {
            var generator = SplitMix64(seed: seed)
            var w = (0..<(rows * columns)).map { _ -> Float in
                let u = Float(generator.next() >> 40) / Float(1 << 24)
                let v = Float(generator.next() >> 40) / Float(1 << 24)
                return (u - v) * 0.05 * (1 + 3 * u * u)
            }
            func fill(tileRow: Int, tileColumn: Int, _ value: (Int) -> Float) {
                for r in (tileRow * 128)..<min(tileRow * 128 + 128, rows) {
                    for c in (tileColumn * 128)..<min(tileColumn * 128 + 128, columns) {
                        w[r * columns + c] = value(r * columns + c)
                    }
                }
            }
            let tileRows = (rows + 127) / 128
            let tileColumns = (columns + 127) / 128
            if tileColumns > 1 { fill(tileRow: 0, tileColumn: 1) { _ in 0 } }
            if tileRows > 1 { fill(tileRow: 1, tileColumn: 0) { i in Float(i % 7) * 1e-40 } }
            if tileRows > 2 { fill(tileRow: 2, tileColumn: 0) { i in Float(i % 5 - 2) * 1e-6 } }
            if !w.isEmpty { w[w.count / 2] = 3e4 }
            return w
        }
    }

    static let inputs: [Input] = [
        Input(rows: 1, columns: 1, seed: 1), Input(rows: 127, columns: 129, seed: 2),
        Input(rows: 128, columns: 128, seed: 3), Input(rows: 300, columns: 1000, seed: 4),
        Input(rows: 129, columns: 1, seed: 5), Input(rows: 1, columns: 300, seed: 6),
        Input(rows: 385, columns: 260, seed: 7), Input(rows: 0, columns: 5, seed: 8),
    ]

    @Test(arguments: inputs, ScaleFormat.allCases)
    func matchesThePlainReference(_ input: Input, _ format: ScaleFormat) {
        let w = input.values()
        let (matrix, statistics) = w.withUnsafeBufferPointer {
            BlockQuantizer.quantize(
                $0, rows: input.rows, columns: input.columns, scaleFormat: format)
        }
        let reference = Reference(w, rows: input.rows, columns: input.columns, format: format)

        #expect(matrix.scaleRows == (input.rows + 127) / 128)
        #expect(matrix.scaleColumns == (input.columns + 127) / 128)
        #expect(matrix.scaleInverse.map(\.bitPattern) == reference.scales.map(\.bitPattern))
        let wrong = zip(matrix.codes, reference.codes).filter { $0.0 != $0.1 }.count
        #expect(matrix.codes.count == reference.codes.count && wrong == 0, "\(wrong) codes differ")

        #expect(statistics.elementCount == w.count)
        #expect(statistics.flushedToZero == reference.flushed)
        #expect(statistics.maxAbsoluteError == reference.maxError)
        #expect(statistics.maxErrorRelativeToAmax == reference.maxRelative)
        let sqnrGap = abs(statistics.sqnrDecibels - reference.sqnr)
        #expect(
            statistics.sqnrDecibels == reference.sqnr || sqnrGap < 1e-4,
            "SQNR: expected \(reference.sqnr), observed \(statistics.sqnrDecibels)")

        var restored = [Float](repeating: .nan, count: w.count)
        var restoredBF16 = [UInt16](repeating: 0, count: w.count)
        restored.withUnsafeMutableBufferPointer { BlockQuantizer.dequantize(matrix, into: $0) }
        restoredBF16.withUnsafeMutableBufferPointer {
            BlockQuantizer.dequantizeToBFloat16(matrix, into: $0)
        }
        #expect(restored.map(\.bitPattern) == reference.restored.map(\.bitPattern))
        let expectedBF16 = reference.restored.map { UInt16(Self.bf16.encode($0)) }
        #expect(restoredBF16 == expectedBF16)
    }

    /// Every dequantized element lies within half an E4M3 step (at the element's magnitude)
    /// times its tile's scale of the input; ue8m0 scales are powers of two at or above
    /// amax / 448. Run on every shape of the reference comparison, ragged and empty included.
    @Test(arguments: inputs, ScaleFormat.allCases)
    func errorsStayWithinHalfAStep(_ input: Input, _ format: ScaleFormat) {
        let w = input.values()
        let (matrix, _) = w.withUnsafeBufferPointer {
            BlockQuantizer.quantize(
                $0, rows: input.rows, columns: input.columns, scaleFormat: format)
        }
        var restored = [Float](repeating: 0, count: w.count)
        restored.withUnsafeMutableBufferPointer { BlockQuantizer.dequantize(matrix, into: $0) }

        var worst = 0.0
        for r in 0..<input.rows {
            for c in 0..<input.columns {
                let scale = Double(matrix.scaleInverse[(r / 128) * matrix.scaleColumns + c / 128])
                let x = Double(w[r * input.columns + c])
                let scaled = abs(x) / scale
                let step = scaled < 0x1p-6 ? 0x1p-9 : Double.pow2(Int(floor(log2(scaled))) - 3)
                let error = abs(x - Double(restored[r * input.columns + c]))
                // Slack for the float32 rounding of the division and the product.
                worst = max(worst, error / (0.5 * step * scale + abs(x) * 0x1p-22))
            }
        }
        #expect(worst <= 1, "worst error is \(worst) half-steps")

        if format == .ue8m0 {
            for (index, scale) in matrix.scaleInverse.enumerated() {
                let tileRow = index / matrix.scaleColumns
                let tileColumn = index % matrix.scaleColumns
                var amax: Float = 0
                for r in (tileRow * 128)..<min(tileRow * 128 + 128, input.rows) {
                    for c in (tileColumn * 128)..<min(tileColumn * 128 + 128, input.columns) {
                        amax = max(amax, abs(w[r * input.columns + c]))
                    }
                }
                #expect(scale.significandBitPattern == 0 && scale >= max(amax, 1e-4) / 448)
            }
        }
    }

    /// The ue8m0 rule clamps its exponent field at 1: a scale whose power-of-two ceiling lies
    /// below 2^-126 (zero, subnormals up to 2^-127) gives exactly 2^-126, never less.
    /// The quantizer cannot pass such a scale (see the next test), so this calls the rule.
    @Test(arguments: [Float(0), .leastNonzeroMagnitude, 0x1p-140, 0x1.8p-128, 0x1p-127])
    func ue8m0ScalesClampAtTheSmallestNormalPowerOfTwo(_ scale: Float) {
        // The inputs really are below the clamp, so the test cannot pass without it.
        #expect(scale == 0 || Double.pow2(Int(ceil(log2(Double(scale))))) < 0x1p-126)
        let clamped = ScaleFormat.powerOfTwoCeiling(scale)
        #expect(clamped.bitPattern == 0x0080_0000, "\(scale) gave \(clamped)")
        #expect(clamped == 0x1p-126 && clamped.exponentBitPattern == 1)
    }

    /// Tiles whose amax is zero or subnormal get the ue8m0 scale of the 1e-4 amax floor,
    /// 2^ceil(log2(1e-4 / 448)) = 2^-22: the smallest the quantizer makes, far above the clamp.
    @Test func ue8m0ScalesOfTinyTilesStayAtTheAmaxFloor() {
        let w: [Float] = [0, 1e-40, -0x1p-149, 0, 1e-45, -0.0]
        for (rows, columns) in [(2, 3), (6, 1)] {
            let (matrix, statistics) = w.withUnsafeBufferPointer {
                BlockQuantizer.quantize($0, rows: rows, columns: columns, scaleFormat: .ue8m0)
            }
            #expect(matrix.scaleInverse.map(\.bitPattern) == [Float(0x1p-22).bitPattern])
            #expect(statistics.flushedToZero == 3)
        }
    }

    @Test func zeroTilesNeverDivideByZero() {
        let w = [Float](repeating: 0, count: 130 * 3)
        let (matrix, statistics) = w.withUnsafeBufferPointer {
            BlockQuantizer.quantize($0, rows: 130, columns: 3)
        }
        #expect(matrix.codes.allSatisfy { $0 == 0 })
        #expect(matrix.scaleInverse == [Float(1e-4) / 448, Float(1e-4) / 448])
        #expect(statistics.sqnrDecibels == .infinity && statistics.flushedToZero == 0)
        #expect(statistics.maxAbsoluteError == 0)
    }

    @Test func reportsFlushedElements() {
        // 1e-6 is far below half an E4M3 step of a tile whose amax is 1.
        var w = [Float](repeating: 1e-6, count: 128)
        w[0] = 1
        let (_, statistics) = w.withUnsafeBufferPointer {
            BlockQuantizer.quantize($0, rows: 1, columns: 128)
        }
        #expect(statistics.flushedToZero == 127)
        // Σ W² ≈ 1 and Σ error² = 127 · 1e-12, so about 99 dB.
        #expect(abs(statistics.sqnrDecibels - 10 * log10(1 / (127 * 1e-12))) < 0.01)
    }

    @Test func codesDequantizeWithTheRawBufferEntryPoint() {
        let input = Input(rows: 200, columns: 130, seed: 12)
        let w = input.values()
        let (matrix, _) = w.withUnsafeBufferPointer {
            BlockQuantizer.quantize($0, rows: input.rows, columns: input.columns)
        }
        var viaMatrix = [Float](repeating: 0, count: w.count)
        var viaBuffers = [Float](repeating: 1, count: w.count)
        viaMatrix.withUnsafeMutableBufferPointer { BlockQuantizer.dequantize(matrix, into: $0) }
        matrix.codes.withUnsafeBufferPointer { codes in
            matrix.scaleInverse.withUnsafeBufferPointer { scales in
                viaBuffers.withUnsafeMutableBufferPointer {
                    BlockQuantizer.dequantize(
                        codes: codes, scaleInverse: scales, rows: input.rows,
                        columns: input.columns, into: $0)
                }
            }
        }
        #expect(viaMatrix.map(\.bitPattern) == viaBuffers.map(\.bitPattern))
    }

    @Test func callerOwnedBuffersGetTheSameResult() {
        let input = Input(rows: 260, columns: 300, seed: 13)
        let w = input.values()
        let (matrix, statistics) = w.withUnsafeBufferPointer {
            BlockQuantizer.quantize($0, rows: input.rows, columns: input.columns)
        }
        var codes = [UInt8](repeating: 0, count: w.count)
        var scales = [Float](repeating: 0, count: 3 * 3)
        let direct = w.withUnsafeBufferPointer { weights in
            codes.withUnsafeMutableBufferPointer { codes in
                scales.withUnsafeMutableBufferPointer {
                    BlockQuantizer.quantize(
                        weights, rows: input.rows, columns: input.columns, codes: codes,
                        scaleInverse: $0)
                }
            }
        }
        #expect(codes == matrix.codes && scales == matrix.scaleInverse && direct == statistics)
    }

    @Test func statisticsSurviveJSONWithInfiniteSQNR() throws {
        let statistics = QuantizationStatistics(
            elementCount: 4, sqnrDecibels: .infinity, maxAbsoluteError: 0,
            maxErrorRelativeToAmax: 0, flushedToZero: 0)
        let data = try JSONEncoder().encode(statistics)
        #expect(try JSONDecoder().decode(QuantizationStatistics.self, from: data) == statistics)
    }

    /// quantization.md written as loops, element by element, with Double sums.
    struct Reference {
        var codes: [UInt8] = []
        var scales: [Float] = []
        var restored: [Float] = []
        var flushed = 0
        var maxError: Float = 0
        var maxRelative: Float = 0
        var sqnr = 0.0

        init(_ w: [Float], rows: Int, columns: Int, format: ScaleFormat) {
            codes = [UInt8](repeating: 0, count: w.count)
            restored = [Float](repeating: 0, count: w.count)
            let tileRows = (rows + 127) / 128
            let tileColumns = (columns + 127) / 128
            var signal = 0.0
            var noise = 0.0
            for i in 0..<tileRows {
                for j in 0..<tileColumns {
                    let rowRange = (i * 128)..<min(i * 128 + 128, rows)
                    let columnRange = (j * 128)..<min(j * 128 + 128, columns)
                    var amax: Float = 0
                    for r in rowRange {
                        for c in columnRange { amax = max(amax, abs(w[r * columns + c])) }
                    }
                    amax = max(amax, 1e-4)
                    var scale = amax / 448
                    if format == .ue8m0 {
                        var power = Double.pow2(Int(ceil(log2(Double(scale)))) - 1)
                        while power < Double(scale) { power *= 2 }
                        scale = Float(power)
                    }
                    scales.append(scale)

                    for r in rowRange {
                        for c in columnRange {
                            let x = w[r * columns + c]
                            let code = UInt8(BlockQuantizerTests.e4m3.encode(x / scale))
                            let back = BlockQuantizerTests.e4m3.decode(UInt32(code)) * scale
                            codes[r * columns + c] = code
                            restored[r * columns + c] = back
                            if x != 0 && back == 0 { flushed += 1 }
                            maxError = max(maxError, abs(x - back))
                            maxRelative = max(maxRelative, abs(x - back) / amax)
                            signal += Double(x) * Double(x)
                            noise += Double(x - back) * Double(x - back)
                        }
                    }
                }
            }
            sqnr = noise == 0 ? .infinity : 10 * log10(signal / noise)
        }
    }
}
