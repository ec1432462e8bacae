import BlockcastFormats
import Testing

/// Output bytes (statistics included) must not depend on the thread count. The suite is
/// serialized because ``Parallelism/threadCount`` is process-wide.
@Suite(.serialized) struct ThreadInvarianceTests {
    @Test func blockQuantizerOutputIsIdenticalFor1To4Threads() {
        let rows = 700
        let columns = 530
        var generator = SplitMix64(seed: 99)
        let w = (0..<(rows * columns)).map { _ in
            Float(Int64(bitPattern: generator.next()) >> 40) / Float(1 << 22)
        }
        let saved = Parallelism.threadCount
        defer { Parallelism.threadCount = saved }

        var outputs: [([UInt8], [UInt32], [UInt64], [UInt16])] = []
        for threads in [1, 2, 4] {
            Parallelism.threadCount = threads
            for format in ScaleFormat.allCases {
                let (matrix, statistics) = w.withUnsafeBufferPointer {
                    BlockQuantizer.quantize($0, rows: rows, columns: columns, scaleFormat: format)
                }
                var bf16 = [UInt16](repeating: 0, count: w.count)
                bf16.withUnsafeMutableBufferPointer {
                    BlockQuantizer.dequantizeToBFloat16(matrix, into: $0)
                }
                var e5m2 = [UInt8](repeating: 0, count: w.count)
                w.withUnsafeBufferPointer { s in
                    e5m2.withUnsafeMutableBufferPointer { Float8E5M2.encode(s, into: $0) }
                }
                let summary: [UInt64] = [
                    statistics.sqnrDecibels.bitPattern,
                    UInt64(statistics.maxAbsoluteError.bitPattern),
                    UInt64(statistics.maxErrorRelativeToAmax.bitPattern),
                    UInt64(statistics.flushedToZero),
                ]
                outputs.append(
                    (matrix.codes + e5m2, matrix.scaleInverse.map(\.bitPattern), summary, bf16))
            }
        }
        for (index, output) in outputs.enumerated().dropFirst(2) {
            let reference = outputs[index % 2]
            #expect(output.0 == reference.0 && output.1 == reference.1)
            #expect(output.2 == reference.2 && output.3 == reference.3)
        }
    }

    /// Per-token activation codes and scales, with both scale formats.
    @Test(arguments: ScaleFormat.allCases)
    func activationQuantizerOutputIsIdenticalFor1To4Threads(_ format: ScaleFormat) {
        // 700 rows of 530 columns make twelve row chunks of the quantizer's 2^15 elements.
        let rows = 700
        let columns = 530
        let x = Self.values(count: rows * columns, seed: 5)
        let groups = (columns + 127) / 128
        expectSameOutputFor1To4Threads("activations (\(format))") {
            var codes = [UInt8](repeating: 0, count: x.count)
            var scales = [Float](repeating: 0, count: rows * groups)
            x.withUnsafeBufferPointer { input in
                codes.withUnsafeMutableBufferPointer { codes in
                    scales.withUnsafeMutableBufferPointer { scales in
                        ActivationQuantizer.quantize(
                            input, rows: rows, columns: columns, scaleFormat: format,
                            codes: codes, scales: scales)
                    }
                }
            }
            return codes.map(UInt32.init) + scales.map(\.bitPattern)
        }
    }

    /// `BlockQuantizer.dequantize` to float32 (the bfloat16 one is in the first test).
    @Test func float32DequantizationIsIdenticalFor1To4Threads() {
        // Six tile rows, the unit the dequantizer spreads over threads.
        let rows = 700
        let columns = 530
        let w = Self.values(count: rows * columns, seed: 6)
        let (matrix, _) = w.withUnsafeBufferPointer {
            BlockQuantizer.quantize($0, rows: rows, columns: columns)
        }
        expectSameOutputFor1To4Threads("float32 dequantization") {
            var restored = [Float](repeating: .nan, count: w.count)
            restored.withUnsafeMutableBufferPointer { BlockQuantizer.dequantize(matrix, into: $0) }
            return restored.map(\.bitPattern)
        }
    }

    /// The bulk encoders of float8_e4m3fn, e8m0, bfloat16 and float16.
    @Test func bulkEncodersAreIdenticalFor1To4Threads() {
        // Several bulk chunks (1 << 16 elements each) and a ragged last one, so the encoders
        // really split the work; every other element is a random bit pattern (NaN, infinity,
        // subnormals), the rest ordinary weights.
        let count = 5 * (1 << 16) + 1234
        var generator = SplitMix64(seed: 7)
        let ordinary = Self.values(count: count, seed: 8)
        let x = (0..<count).map { i in
            let random = Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))
            return i.isMultiple(of: 2) ? random : ordinary[i]
        }
        func encode8(
            _ encode: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<UInt8>) -> Void
        )
            -> [UInt8]
        {
            var out = [UInt8](repeating: 0, count: count)
            x.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { encode(s, $0) } }
            return out
        }
        func encode16(
            _ encode: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<UInt16>) -> Void
        ) -> [UInt16] {
            var out = [UInt16](repeating: 0, count: count)
            x.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { encode(s, $0) } }
            return out
        }
        expectSameOutputFor1To4Threads("float8_e4m3fn") {
            encode8 { Float8E4M3FN.encode($0, into: $1) }
        }
        expectSameOutputFor1To4Threads("e8m0") { encode8 { E8M0.encode($0, into: $1) } }
        expectSameOutputFor1To4Threads("bfloat16") { encode16 { BFloat16.encode($0, into: $1) } }
        expectSameOutputFor1To4Threads("float16") { encode16 { Half.encode($0, into: $1) } }
    }

    /// `count` signed values of about ±0.5, reproducible from `seed`.
    private static func values(count: Int, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            Float(Int64(bitPattern: generator.next()) >> 40) / Float(1 << 24)
        }
    }

    /// Runs `produce` with 1, 2 and 4 threads and expects equal results, restoring the thread
    /// count afterwards (it is process-wide).
    private func expectSameOutputFor1To4Threads<Output: Equatable>(
        _ what: String, _ produce: () -> Output
    ) {
        let saved = Parallelism.threadCount
        defer { Parallelism.threadCount = saved }
        var outputs: [Output] = []
        for threads in [1, 2, 4] {
            Parallelism.threadCount = threads
            outputs.append(produce())
        }
        #expect(outputs.allSatisfy { $0 == outputs[0] }, "\(what) depends on the thread count")
    }
}
