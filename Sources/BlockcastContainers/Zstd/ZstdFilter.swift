import CHDF5
import CZstd

#if canImport(Glibc)
    import Glibc
#endif

/// The Zstandard HDF5 filter (registered id 32015), implemented in-process.
///
/// The layout is the one hdf5plugin's filter reads and writes: `cd_values[0]` is the
/// compression level, and each chunk is stored as one complete zstd frame that records its
/// decompressed size. Registering it lets libhdf5 write and read such datasets without any
/// plugin on disk.
enum ZstdFilter {
    /// The filter id registered with The HDF Group for Zstandard.
    static let id: H5Z_filter_t = 32015

    /// The level used when a dataset's filter entry carries no `cd_values`.
    static let defaultLevel: Int32 = 3

    /// Registers the filter with libhdf5 (idempotent; HDF5 replaces an existing entry).
    static func register() {
        var filterClass = H5Z_class2_t(
            version: Int32(H5Z_CLASS_T_VERS), id: id, encoder_present: 1, decoder_present: 1,
            name: UnsafePointer(strdup("zstd (blockcast)")), can_apply: nil, set_local: nil,
            filter: zstdFilter)
        _ = H5Zregister(&filterClass)
    }
}

/// HDF5's filter callback: compresses or (with `H5Z_FLAG_REVERSE`) decompresses `buf` in place.
///
/// Returns the number of valid bytes now in `*buf`, or 0 on failure, as HDF5 expects.
private func zstdFilter(
    flags: UInt32, cdCount: Int, cdValues: UnsafePointer<UInt32>?, byteCount: Int,
    bufferSize: UnsafeMutablePointer<Int>?, buffer: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> Int {
    guard let bufferSize, let buffer, let input = buffer.pointee else { return 0 }
    let result: (UnsafeMutableRawPointer, capacity: Int, used: Int)?
    if flags & UInt32(H5Z_FLAG_REVERSE) != 0 {
        result = zstdDecompress(input, byteCount)
    } else {
        let level =
            cdCount > 0 && cdValues != nil
            ? Int32(bitPattern: cdValues![0]) : ZstdFilter.defaultLevel
        result = zstdCompress(input, byteCount, level: level)
    }
    guard let result else { return 0 }
    H5free_memory(input)
    buffer.pointee = result.0
    bufferSize.pointee = result.capacity
    return result.used
}

private func zstdCompress(
    _ input: UnsafeRawPointer, _ count: Int, level: Int32
) -> (UnsafeMutableRawPointer, capacity: Int, used: Int)? {
    let bound = ZSTD_compressBound(count)
    guard let output = H5allocate_memory(bound, false) else { return nil }
    let written = ZSTD_compress(output, bound, input, count, level)
    guard ZSTD_isError(written) == 0 else {
        H5free_memory(output)
        return nil
    }
    return (output, bound, written)
}

private func zstdDecompress(
    _ input: UnsafeRawPointer, _ count: Int
) -> (UnsafeMutableRawPointer, capacity: Int, used: Int)? {
    let declared = ZSTD_getFrameContentSize(input, count)
    let unknown = UInt64.max
    let error = UInt64.max - 1
    if declared == error { return nil }
    if declared != unknown {
        let size = Int(clamping: declared)
        guard let output = H5allocate_memory(max(size, 1), false) else { return nil }
        let produced = ZSTD_decompress(output, size, input, count)
        guard ZSTD_isError(produced) == 0, produced == size else {
            H5free_memory(output)
            return nil
        }
        return (output, max(size, 1), produced)
    }
    return zstdDecompressStreaming(input, count)
}

/// Decompresses a frame that does not record its size, growing the output as needed.
private func zstdDecompressStreaming(
    _ input: UnsafeRawPointer, _ count: Int
) -> (UnsafeMutableRawPointer, capacity: Int, used: Int)? {
    guard let context = ZSTD_createDStream() else { return nil }
    defer { ZSTD_freeDStream(context) }
    var capacity = max(count * 4, 1 << 16)
    guard var output = H5allocate_memory(capacity, false) else { return nil }
    var source = ZSTD_inBuffer(src: input, size: count, pos: 0)
    var sink = ZSTD_outBuffer(dst: output, size: capacity, pos: 0)
    while true {
        let status = ZSTD_decompressStream(context, &sink, &source)
        if ZSTD_isError(status) != 0 {
            H5free_memory(output)
            return nil
        }
        if status == 0 { return (output, capacity, sink.pos) }
        if source.pos == source.size && sink.pos < sink.size {
            // The input ended inside the frame.
            H5free_memory(output)
            return nil
        }
        if sink.pos == sink.size {
            capacity *= 2
            guard let grown = H5resize_memory(output, capacity) else {
                H5free_memory(output)
                return nil
            }
            output = grown
            sink.dst = UnsafeMutableRawPointer(output)
            sink.size = capacity
        }
    }
}
