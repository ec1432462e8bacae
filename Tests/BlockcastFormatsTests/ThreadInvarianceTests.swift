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
}
