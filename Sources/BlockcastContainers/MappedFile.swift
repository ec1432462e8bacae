#if canImport(Glibc)
    import Glibc
#endif

/// A whole file mapped read-only into memory.
///
/// Opening maps the file without reading it; pages come in as tensors are used. Tensors that
/// view the mapping keep it alive, and when one is dropped its pages are handed back to the
/// kernel (`madvise(MADV_DONTNEED)`), so iterating over a large checkpoint keeps about one
/// tensor resident instead of the whole file.
final class MappedFile: @unchecked Sendable {
    /// The path as given when opening.
    let path: String
    /// The mapped bytes (empty for an empty file).
    let bytes: UnsafeRawBufferPointer

    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Maps `path`; `displayPath` is the name used in error messages.
    init(path: String, displayPath: String? = nil) throws(ContainerError) {
        self.path = path
        let shown = displayPath ?? path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw ContainerError(
                .fileNotFound, file: shown, "Could not open '\(shown)': \(reason).")
        }
        defer { close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ContainerError(.io, file: shown, "Could not read the size of '\(shown)'.")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw ContainerError(.notAContainer, file: shown, "'\(shown)' is not a regular file.")
        }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), base != MAP_FAILED else {
            let reason = String(cString: strerror(errno))
            throw ContainerError(.io, file: shown, "Could not map '\(shown)': \(reason).")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }

    /// Tells the kernel the pages wholly inside `range` are not needed for now.
    ///
    /// Only the process's view is dropped; a later access faults the page back in from the
    /// page cache or the file, so this is safe even while other tensors share the mapping.
    func release(_ range: Range<Int>) {
        guard let base = bytes.baseAddress else { return }
        let page = MappedFile.pageSize
        let start = (range.lowerBound + page - 1) / page * page
        let end = range.upperBound / page * page
        guard end > start else { return }
        madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }
}
