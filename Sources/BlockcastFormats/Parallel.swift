import Dispatch

/// How many threads bulk kernels may use; set once from `--threads` before work starts.
///
/// Kernels split work into chunks whose boundaries do not depend on this number, so output
/// bytes are the same whatever it is.
public enum Parallelism {
    nonisolated(unsafe) private static var configured: Int = 0

    /// The number of worker threads kernels use (at least 1).
    public static var threadCount: Int {
        get { configured > 0 ? configured : ProcessInfoCores.active }
        set { configured = max(0, newValue) }
    }
}

/// Runs `body(i)` for every `i` in `0..<count`, spread over ``Parallelism/threadCount``
/// threads. Iterations must be independent; each writes only its own output.
public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    let threads = min(Parallelism.threadCount, count)
    if threads <= 1 {
        for i in 0..<count { body(i) }
        return
    }

    // The body captures raw buffers, which are not Sendable; the contract above (disjoint
    // writes per iteration) is what makes sharing it across threads sound.
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let body = body
        let next = AtomicCounter()
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            // Dynamic claiming balances uneven chunks (ragged tiles, experts with more tokens).
            while true {
                let i = next.increment()
                if i >= count { break }
                body(i)
            }
        }
    }
}

/// A shared counter the workers of ``parallelFor(_:_:)`` claim iterations from.
private final class AtomicCounter: @unchecked Sendable {
    private var value = 0
    private var lock = pthread_mutex_t()

    init() { pthread_mutex_init(&lock, nil) }
    deinit { pthread_mutex_destroy(&lock) }

    /// Returns the current value and advances it by one.
    func increment() -> Int {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        let current = value
        value += 1
        return current
    }
}

/// The number of cores this process may run on.
enum ProcessInfoCores {
    static let active: Int = {
        #if canImport(Glibc)
            let n = sysconf(Int32(_SC_NPROCESSORS_ONLN))
            return n > 0 ? Int(n) : 1
        #else
            return 1
        #endif
    }()
}

#if canImport(Glibc)
    import Glibc
#endif
