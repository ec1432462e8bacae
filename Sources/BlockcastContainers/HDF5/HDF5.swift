import CHDF5

#if canImport(Glibc)
    import Glibc
#endif

/// The one gate to libhdf5: initialisation, the global lock, and error-stack capture.
///
/// Every call into libhdf5 runs under ``locked(_:)``: Debian's build is thread-safe, but only
/// by one global lock of its own, and our multi-call sequences (create, write, read the error
/// stack) must not interleave. That build keeps the error stack and its automatic printing per
/// thread, so ``locked(_:)`` turns the printing off on whichever thread it runs; failures are
/// read from the stack instead and carried in ``ContainerError/cause``.
enum HDF5 {
    private static let mutex = Mutex()

    private static let initialized: Bool = {
        H5open()
        ZstdFilter.register()
        return true
    }()

    /// Runs `body` holding the HDF5 lock, after making sure the library is set up.
    static func locked<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        mutex.lock()
        defer { mutex.unlock() }
        _ = initialized
        H5Eset_auto2(bc_h5e_default(), nil, nil)
        return try body()
    }

    /// The messages on HDF5's error stack, outermost first, and clears the stack.
    static func takeErrorStack() -> String {
        final class Collector {
            var lines: [String] = []
        }
        let collector = Collector()
        let walker: H5E_walk2_t = { _, error, context in
            guard let error, let context else { return 0 }
            let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
            if let desc = error.pointee.desc {
                let text = String(cString: desc)
                if !text.isEmpty, collector.lines.last != text { collector.lines.append(text) }
            }
            return 0
        }
        withExtendedLifetime(collector) {
            let context = Unmanaged.passUnretained(collector).toOpaque()
            _ = H5Ewalk2(bc_h5e_default(), H5E_WALK_DOWNWARD, walker, context)
        }
        H5Eclear2(bc_h5e_default())
        return collector.lines.joined(separator: ": ")
    }

    /// An error of `code` with `message`, carrying what HDF5's error stack says.
    static func failure(
        _ code: ContainerError.Code = .hdf5, file: String, tensor: String? = nil,
        _ message: String
    ) -> ContainerError {
        ContainerError(code, file: file, tensor: tensor, message, cause: takeErrorStack())
    }

    /// The `H5P_DEFAULT` property list.
    static var defaultList: hid_t { bc_h5p_default() }
}

/// A pthread mutex in a class, so it has a stable address.
final class Mutex: @unchecked Sendable {
    private var handle = pthread_mutex_t()

    init() { pthread_mutex_init(&handle, nil) }
    deinit { pthread_mutex_destroy(&handle) }

    /// Blocks until the mutex is held.
    func lock() { pthread_mutex_lock(&handle) }
    /// Releases the mutex.
    func unlock() { pthread_mutex_unlock(&handle) }
}
