import BlockcastFormats
import BlockcastModel
import Testing

@Suite struct LinearTests {
    private func random(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in scale * generator.symmetric() }
    }

    @Test func plainProductIsXTimesWTransposed() {
        let w: [Float] = [1, 2, 3, 4, 5, 6]  // 2 × 3
        let x: [Float] = [1, 0, -1, 2, 1, 0]  // 2 × 3
        let y = Linear(rows: 2, columns: 3, values: w).apply(x, count: 2)
        #expect(y == [-2, -2, 4, 13])
    }

    /// The block-scaled product against a scalar reference in double: activations quantized
    /// 1×128, per 128-slice sums of exact FP8 products, both scales applied per slice. Ragged
    /// edges on both sides (300 inputs, 200 outputs). With ue8m0 the activation scales are
    /// powers of two too, and the product differs from one with float32 activation scales.
    @Test(arguments: [ScaleFormat.float32, .ue8m0])
    func blockScaledProductMatchesAScalarReference(_ format: ScaleFormat) {
        let (rows, columns, tokens) = (200, 300, 5)
        let w = random(rows * columns, seed: 3, scale: 0.05)
        let x = random(tokens * columns, seed: 4, scale: 3)
        let (quantized, _) = w.withUnsafeBufferPointer {
            BlockQuantizer.quantize($0, rows: rows, columns: columns, scaleFormat: format)
        }
        let linear = Linear(
            rows: rows, columns: columns, fp8Codes: quantized.codes,
            scaleInverse: quantized.scaleInverse, activationScales: format)
        let observed = linear.apply(x, count: tokens)
        let withFloat32Activations = Linear(
            rows: rows, columns: columns, fp8Codes: quantized.codes,
            scaleInverse: quantized.scaleInverse
        ).apply(x, count: tokens)
        #expect((observed == withFloat32Activations) == (format == .float32))

        let groups = (columns + 127) / 128
        var codes = [UInt8](repeating: 0, count: tokens * columns)
        var scales = [Float](repeating: 0, count: tokens * groups)
        x.withUnsafeBufferPointer { x in
            codes.withUnsafeMutableBufferPointer { codes in
                scales.withUnsafeMutableBufferPointer { scales in
                    ActivationQuantizer.quantize(
                        x, rows: tokens, columns: columns, scaleFormat: format, codes: codes,
                        scales: scales)
                }
            }
        }
        if format == .ue8m0 {
            #expect(scales.allSatisfy { $0.bitPattern & 0x7F_FFFF == 0 }, "powers of two")
        }
        var expected = [Float](repeating: 0, count: tokens * rows)
        for m in 0..<tokens {
            for n in 0..<rows {
                var total = 0.0
                var absolute = 0.0
                for j in 0..<groups {
                    var slice = 0.0
                    var sliceAbsolute = 0.0
                    for k in (j * 128)..<min((j + 1) * 128, columns) {
                        let product =
                            Double(Float8E4M3FN.decode(codes[m * columns + k]))
                            * Double(Float8E4M3FN.decode(quantized.codes[n * columns + k]))
                        slice += product
                        sliceAbsolute += abs(product)
                    }
                    let scale =
                        Double(scales[m * groups + j])
                        * Double(quantized.scaleInverse[(n / 128) * groups + j])
                    total += slice * scale
                    absolute += sliceAbsolute * scale
                }
                expected[m * rows + n] = Float(total)
                // Float32 accumulation error is bounded by a few ulps of Σ|terms|.
                let error = abs(Double(observed[m * rows + n]) - total)
                #expect(
                    error <= 1e-6 * absolute, "y[\(m), \(n)] = \(observed[m * rows + n]), \(total)")
            }
        }
        let rms = relativeRMS(observed, expected)
        #expect(rms < 1e-6, "relative RMS \(rms)")
    }

    @Test func dequantizedValuesMatchTheBlockQuantizer() {
        let (rows, columns) = (130, 260)
        let w = random(rows * columns, seed: 5)
        let (quantized, _) = w.withUnsafeBufferPointer {
            BlockQuantizer.quantize($0, rows: rows, columns: columns)
        }
        var expected = [Float](repeating: 0, count: rows * columns)
        expected.withUnsafeMutableBufferPointer { BlockQuantizer.dequantize(quantized, into: $0) }
        let linear = Linear(
            rows: rows, columns: columns, fp8Codes: quantized.codes,
            scaleInverse: quantized.scaleInverse)
        #expect(linear.isBlockScaled)
        #expect(linear.dequantized() == expected)
    }
}
