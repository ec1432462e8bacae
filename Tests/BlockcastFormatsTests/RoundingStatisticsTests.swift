import BlockcastFormats
import Foundation
import Testing

/// The bfloat16 rounding error, against sums written out plainly in double.
@Suite struct RoundingStatisticsTests {
    /// Weight-like values over several bulk chunks, a ragged tail and a few that flush.
    private static func values(count: Int) -> [Float] {
        var state: UInt64 = 99
        return (0..<count).map { i in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let u = Float(state >> 40) / Float(1 << 24) - 0.5
            return i % 10_007 == 3 ? Float(bitPattern: 0x0000_0010) : u * u * u * 0.2
        }
    }

    @Test func matchesAPlainReference() {
        let input = Self.values(count: 150_001)
        let bits = input.map { BFloat16.encode($0) }
        let observed = input.withUnsafeBufferPointer { original in
            bits.withUnsafeBufferPointer {
                RoundingStatistics.bfloat16(original: original, encoded: $0)
            }
        }

        var signal = 0.0
        var noise = 0.0
        var maxError: Float = 0
        var amax: Float = 0
        var flushed = 0
        for (w, b) in zip(input, bits) {
            let rounded = BFloat16.decode(b)
            signal += Double(w) * Double(w)
            noise += Double(w - rounded) * Double(w - rounded)
            maxError = max(maxError, abs(w - rounded))
            amax = max(amax, abs(w))
            if w != 0 && rounded == 0 { flushed += 1 }
        }
        #expect(observed.elementCount == input.count)
        #expect(abs(observed.sqnrDecibels - 10 * log10(signal / noise)) < 1e-9)
        #expect(observed.maxAbsoluteError == maxError)
        #expect(observed.maxErrorRelativeToAmax == maxError / amax)
        #expect(observed.flushedToZero == flushed && flushed == 15)
    }

    @Test func losslessInputHasInfiniteSQNR() {
        let input: [Float] = [1, -2, 0.5, 0, 3]
        let bits = input.map { BFloat16.encode($0) }
        let statistics = input.withUnsafeBufferPointer { original in
            bits.withUnsafeBufferPointer {
                RoundingStatistics.bfloat16(original: original, encoded: $0)
            }
        }
        #expect(statistics.sqnrDecibels == .infinity)
        #expect(statistics.maxAbsoluteError == 0 && statistics.flushedToZero == 0)
    }

    @Test func theThreadCountDoesNotChangeTheResult() {
        let input = Self.values(count: 300_000)
        let bits = input.map { BFloat16.encode($0) }
        let saved = Parallelism.threadCount
        defer { Parallelism.threadCount = saved }
        let results = [1, 2, 4].map { threads in
            Parallelism.threadCount = threads
            return input.withUnsafeBufferPointer { original in
                bits.withUnsafeBufferPointer {
                    RoundingStatistics.bfloat16(original: original, encoded: $0)
                }
            }
        }
        #expect(results.allSatisfy { $0 == results[0] })
    }
}
