import Foundation

/// Recycles large tensor buffers of equal size.
///
/// Tensor-sized allocations are their own mappings (see the CLI's memory policy), which keeps
/// peak memory at the tensors alive but costs a page fault and a page of zeroing per 4 KiB
/// every time one is touched afresh. A checkpoint repeats a few shapes many times (experts),
/// so keeping a few freed buffers for the next tensor of the same byte size saves that work;
/// the pool never holds more than ``retainedLimit`` bytes, which bounds what it adds to the
/// peak.
package final class BufferPool: @unchecked Sendable {
    /// Buffers smaller than this are left to malloc.
    package static let smallest = 1 << 20
    /// The most bytes kept for reuse at any time.
    package static let retainedLimit = 64 << 20

    /// The process's pool.
    package static let shared = BufferPool()

    /// An empty pool (tests use their own).
    package init() {}

    /// The bytes kept for reuse now.
    package var retainedBytes: Int { lock.withLock { retained } }

    private let lock = NSLock()
    /// Freed buffers, oldest first.
    private var kept: [(pointer: UnsafeMutableRawPointer, count: Int)] = []
    private var retained = 0

    /// A freed buffer of exactly `count` bytes, if one is kept (its contents are stale).
    package func take(_ count: Int) -> UnsafeMutableRawPointer? {
        guard count >= Self.smallest else { return nil }
        return lock.withLock {
            guard let index = kept.lastIndex(where: { $0.count == count }) else { return nil }
            retained -= count
            return kept.remove(at: index).pointer
        }
    }

    /// Keeps `pointer` (a `posix_memalign` block of `count` bytes) for reuse, freeing the
    /// oldest kept buffers to stay within the limit; frees it at once when it cannot be kept.
    package func give(_ pointer: UnsafeMutableRawPointer, count: Int) {
        guard count >= Self.smallest && count <= Self.retainedLimit else {
            free(pointer)
            return
        }
        let evicted: [UnsafeMutableRawPointer] = lock.withLock {
            var evicted: [UnsafeMutableRawPointer] = []
            while retained + count > Self.retainedLimit, !kept.isEmpty {
                let oldest = kept.removeFirst()
                retained -= oldest.count
                evicted.append(oldest.pointer)
            }
            kept.append((pointer, count))
            retained += count
            return evicted
        }
        for old in evicted { free(old) }
    }
}
