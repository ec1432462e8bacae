import BlockcastFormats
import Testing

@Suite struct ParallelTests {
    @Test func everyIterationRunsExactlyOnce() {
        let count = 10_007
        let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
        defer { hits.deallocate() }
        hits.initialize(repeating: 0)

        parallelFor(count) { i in hits[i] += 1 }

        #expect(hits.allSatisfy { $0 == 1 })
    }
}
