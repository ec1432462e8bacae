import CBLAS

/// The OpenBLAS library the model's matrix products run on.
public enum BLAS {
    /// OpenBLAS's build description and the kernel it picked for this CPU
    /// (calls `openblas_get_config` and `openblas_get_corename`).
    public static var description: String {
        let config = String(cString: openblas_get_config())
        let core = String(cString: openblas_get_corename())
        return "\(config) (kernel \(core))"
    }
}
