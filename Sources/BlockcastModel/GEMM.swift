import BlockcastFormats
import CBLAS

/// The float32 matrix products of the forward pass, on OpenBLAS (row-major throughout).
///
/// OpenBLAS itself runs on one thread: when it splits a product across its own threads, the
/// split (and so the kernel that computes each output element) depends on the thread count,
/// and the logits change in the last bits with `--threads`. Large products are instead cut
/// here into column panels whose boundaries depend on the shape alone, and the panels run on
/// ``parallelFor(_:_:)``: every thread count gives the same bits.
enum GEMM {
    /// Products below this many multiply-adds run as one call: splitting them costs more than
    /// it saves.
    static let parallelThreshold = 1 << 21

    /// Output columns per panel of a split product (a multiple of the kernels' widths).
    static let panelWidth = 128

    /// Pins OpenBLAS to the calling thread, once per process.
    private static let singleThreaded: Void = openblas_set_num_threads(1)

    /// `c[m, n] = a[m, k] · b[n, k]ᵀ + beta · c` (`b` holds one row per output column).
    static func multiplyTransposed(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
        ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float = 0
    ) {
        inPanels(m: m, n: n, k: k, c: c, ldc: ldc, beta: beta) { start, width in
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(width), Int32(k), 1, a,
                Int32(lda), b + start * ldb, Int32(ldb), beta, c + start, Int32(ldc))
        }
    }

    /// `c[m, n] = a[m, k] · b[k, n] + beta · c`.
    static func multiply(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
        ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float = 0
    ) {
        inPanels(m: m, n: n, k: k, c: c, ldc: ldc, beta: beta) { start, width in
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(width), Int32(k), 1, a,
                Int32(lda), b + start, Int32(ldb), beta, c + start, Int32(ldc))
        }
    }

    /// Runs `product(start, width)` over output columns `0..<n`: once for a small product,
    /// else per fixed-width panel in parallel. Handles the degenerate shapes BLAS may skip.
    private static func inPanels(
        m: Int, n: Int, k: Int, c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float,
        _ product: (_ start: Int, _ width: Int) -> Void
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            clear(m: m, n: n, c: c, ldc: ldc, beta: beta)
            return
        }
        GEMM.singleThreaded

        let panels = (n + panelWidth - 1) / panelWidth
        guard panels > 1, m * n * k >= parallelThreshold else {
            product(0, n)
            return
        }
        // Panels write disjoint columns of `c`.
        parallelFor(panels) { panel in
            let start = panel * panelWidth
            product(start, min(panelWidth, n - start))
        }
    }

    /// An empty reduction: BLAS may leave `c` untouched, so scale it here.
    private static func clear(
        m: Int, n: Int, c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float
    ) {
        for i in 0..<m {
            for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] }
        }
    }
}
