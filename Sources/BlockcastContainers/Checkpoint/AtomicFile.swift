import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Files that appear complete or not at all: written under a temporary name beside the target
/// and renamed into place.
enum AtomicFile {
    /// The temporary name used for `path` while it is being written.
    static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let name = ".\(url.lastPathComponent).partial-\(getpid())"
        return url.deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Writes `bytes` to `path` atomically.
    static func write(_ bytes: [UInt8], to path: String) throws(ContainerError) {
        let temporary = temporaryPath(for: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ioError("create", temporary, shown: path) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
            }
            guard result > 0 else {
                close(fd)
                unlink(temporary)
                throw ioError("write", temporary, shown: path)
            }
            written += result
        }
        close(fd)
        try commit(temporary, to: path)
    }

    /// Renames a finished temporary file onto `path`.
    static func commit(_ temporary: String, to path: String) throws(ContainerError) {
        guard rename(temporary, path) == 0 else {
            let error = ioError("rename", temporary, shown: path)
            unlink(temporary)
            throw error
        }
    }

    /// An I/O error for `operation` on `path`, with the system's reason.
    static func ioError(_ operation: String, _ path: String, shown: String) -> ContainerError {
        let reason = String(cString: strerror(errno))
        return ContainerError(
            .io, file: shown,
            "Could not \(operation) '\(path)' while writing '\(shown)': \(reason).")
    }
}
