import BlockcastContainers
import Foundation
import Testing

/// Large freed buffers are reused for the same size, and the pool stays within its limit.
@Suite struct BufferPoolTests {
    private func allocate(_ count: Int) -> UnsafeMutableRawPointer {
        var pointer: UnsafeMutableRawPointer?
        precondition(posix_memalign(&pointer, 64, count) == 0)
        return pointer!
    }

    @Test func aFreedBufferServesTheNextOfTheSameSizeOnly() {
        let pool = BufferPool()
        let size = 3 << 20
        let buffer = allocate(size)
        pool.give(buffer, count: size)
        #expect(pool.retainedBytes == size)
        #expect(pool.take(size + 64) == nil)
        #expect(pool.take(size) == buffer)
        #expect(pool.take(size) == nil)
        #expect(pool.retainedBytes == 0)
        free(buffer)
    }

    @Test func smallAndHugeBuffersAreNotKept() {
        let pool = BufferPool()
        pool.give(allocate(4096), count: 4096)
        pool.give(allocate(BufferPool.retainedLimit + 64), count: BufferPool.retainedLimit + 64)
        #expect(pool.retainedBytes == 0)
        #expect(pool.take(4096) == nil)
    }

    /// Past the limit the oldest buffers go first.
    @Test func theOldestBuffersAreFreedToStayWithinTheLimit() {
        let pool = BufferPool()
        let size = 24 << 20
        let buffers = (0..<3).map { _ in allocate(size) }
        for buffer in buffers { pool.give(buffer, count: size) }
        #expect(pool.retainedBytes == 2 * size)
        #expect(pool.retainedBytes <= BufferPool.retainedLimit)
        let first = pool.take(size)
        let second = pool.take(size)
        #expect(Set([first, second]) == Set([buffers[1], buffers[2]]))
        #expect(pool.take(size) == nil)
        for buffer in [first, second] { free(buffer) }
    }

    /// Tensors draw on the shared pool: a tensor freed and one of the same size allocated
    /// next share the memory, and the new one holds what it was given, not stale bytes.
    @Test func tensorsReuseFreedBuffers() throws {
        // An odd size no other test allocates, since tests run in parallel on one pool.
        let count = (1 << 19) + 4_099
        var first: Tensor? = Tensor(floats: [Float](repeating: 1, count: count), shape: [count])
        let address = first!.withUnsafeBytes { $0.baseAddress }
        first = nil
        let second = Tensor(floats: [Float](repeating: 2, count: count), shape: [count])
        #expect(second.withUnsafeBytes { $0.baseAddress } == address)
        #expect(try second.floats().allSatisfy { $0 == 2 })
    }
}
