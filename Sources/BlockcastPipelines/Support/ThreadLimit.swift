import BlockcastFormats

/// The `--threads` limit, applied to every thread pool blockcast uses.
public enum ThreadLimit {
    /// Limits the bulk kernels (``Parallelism/threadCount``, used by `parallelFor`) to
    /// `count` threads. OpenBLAS needs no limit of its own: the model's matrix products run
    /// it on one thread per call and spread the calls over the same workers.
    public static func apply(_ count: Int) {
        precondition(count >= 1, "a thread limit is at least 1")
        Parallelism.threadCount = count
    }
}
