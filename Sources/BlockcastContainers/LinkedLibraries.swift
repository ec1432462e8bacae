import CHDF5
import CZstd

/// Versions of the C libraries this build links, for `blockcast --version` and bug reports.
public enum ContainerLibraries {
    /// The HDF5 library version, as `major.minor.release` (calls `H5get_libversion`).
    public static var hdf5Version: String {
        var major: UInt32 = 0
        var minor: UInt32 = 0
        var release: UInt32 = 0
        _ = H5get_libversion(&major, &minor, &release)
        return "\(major).\(minor).\(release)"
    }

    /// The Zstandard library version (calls `ZSTD_versionString`).
    public static var zstdVersion: String {
        String(cString: ZSTD_versionString())
    }
}
