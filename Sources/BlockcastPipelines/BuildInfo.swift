import BlockcastContainers
import BlockcastModel

/// What this build of blockcast is and what it links.
public enum BuildInfo {
    /// The tool's version.
    public static let version = "0.1.0"

    /// One line per linked library, for `blockcast --version`.
    public static var libraryLines: [String] {
        [
            "HDF5 \(ContainerLibraries.hdf5Version)",
            "Zstandard \(ContainerLibraries.zstdVersion)",
            "OpenBLAS \(BLAS.description)",
        ]
    }
}
