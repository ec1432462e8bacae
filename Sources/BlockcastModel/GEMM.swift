import CBLAS

/// The float32 matrix products of the forward pass, on OpenBLAS (row-major throughout).
enum GEMM {
    /// `c[m, n] = a[m, k] · b[n, k]ᵀ + beta · c` (`b` holds one row per output column).
    @inline(__always)
    static func multiplyTransposed(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
        ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float = 0
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            clear(m: m, n: n, c: c, ldc: ldc, beta: beta)
            return
        }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a,
            Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `c[m, n] = a[m, k] · b[k, n] + beta · c`.
    @inline(__always)
    static func multiply(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
        ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float = 0
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            clear(m: m, n: n, c: c, ldc: ldc, beta: beta)
            return
        }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a,
            Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
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
