import BlockcastFormats
import BlockcastModel

/// The `--threads` limit, applied to every thread pool blockcast uses.
public enum ThreadLimit {
    /// Limits the bulk kernels (``Parallelism/threadCount``, used by `parallelFor`) and
    /// OpenBLAS to `count` threads. Call once, before work starts.
    public static func apply(_ count: Int) {
        precondition(count >= 1, "a thread limit is at least 1")
        Parallelism.threadCount = count
        BLAS.setThreadCount(count)
    }
}
