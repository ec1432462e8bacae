import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// File-system steps that keep output either complete or absent: data goes to a hidden
/// temporary file beside its final name, is flushed to disk, and is renamed into place.
package enum OutputFiles {
    /// The hidden temporary path a file is written to before it is renamed to `path`; the
    /// process id keeps concurrent writers (parts of one run) apart.
    package static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let name = ".\(url.lastPathComponent).partial-\(getpid())"
        return url.deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Whether `name` is a temporary file left by ``temporaryPath(for:)``.
    package static func isTemporary(_ name: String) -> Bool {
        name.hasPrefix(".") && name.contains(".partial-")
    }

    /// Writes `bytes` to `path` through a temporary file and a rename.
    package static func writeAtomically(_ bytes: [UInt8], to path: String) throws(QuantizeError) {
        let temporary = temporaryPath(for: path)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ioError("create", temporary) }
        var failed = false
        bytes.withUnsafeBytes { raw in failed = !writeAll(descriptor, raw) }
        if failed || fsync(descriptor) != 0 {
            close(descriptor)
            unlink(temporary)
            throw ioError("write", temporary)
        }
        close(descriptor)
        try commit(temporary, to: path)
    }

    /// Writes `text` as UTF-8 to `path` atomically.
    package static func writeAtomically(_ text: String, to path: String) throws(QuantizeError) {
        try writeAtomically(Array(text.utf8), to: path)
    }

    /// Renames a finished temporary file into place (replacing what was there).
    package static func commit(_ temporary: String, to path: String) throws(QuantizeError) {
        guard rename(temporary, path) == 0 else {
            let error = ioError("rename", temporary)
            unlink(temporary)
            throw error
        }
    }

    /// Creates `path` only if it does not exist (`O_EXCL`), writing `text` into it; returns
    /// false when it already exists. This is the merge lock: exactly one process wins.
    package static func createExclusively(_ path: String, text: String) throws(QuantizeError)
        -> Bool
    {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if descriptor < 0 {
            if errno == EEXIST { return false }
            throw ioError("create", path)
        }
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { writeAll(descriptor, UnsafeRawBufferPointer($0)) }
        close(descriptor)
        return true
    }

    /// Writes every byte, retrying short and interrupted writes.
    package static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard var pointer = bytes.baseAddress else { return true }
        var left = bytes.count
        while left > 0 {
            let written = write(descriptor, pointer, min(left, 1 << 30))
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            pointer += written
            left -= written
        }
        return true
    }

    /// Whether `path` exists (file or directory).
    package static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// The entries of a directory (empty when it does not exist).
    package static func contents(of directory: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    }

    /// Removes a file or directory tree if it exists.
    package static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Creates `directory` and its parents.
    package static func makeDirectory(_ directory: String) throws(QuantizeError) {
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .io(path: directory, reason: "could not create the directory (\(error))")
        }
    }

    /// The absolute, symlink-free form of `path` (which need not exist: its deepest existing
    /// ancestor is resolved and the rest appended).
    package static func canonical(_ path: String) -> String {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        var tail: [String] = []
        while !exists(url.path) && url.path != "/" {
            tail.insert(url.lastPathComponent, at: 0)
            url.deleteLastPathComponent()
        }
        var resolved = url.resolvingSymlinksInPath()
        for component in tail { resolved.appendPathComponent(component) }
        return resolved.standardizedFileURL.path
    }

    /// Whether `inner` is `outer` or lies below it (both canonical).
    package static func isSameOrInside(_ inner: String, _ outer: String) -> Bool {
        inner == outer || inner.hasPrefix(outer.hasSuffix("/") ? outer : outer + "/")
    }

    private static func ioError(_ action: String, _ path: String) -> QuantizeError {
        .io(path: path, reason: "could not \(action) it (\(String(cString: strerror(errno))))")
    }
}
