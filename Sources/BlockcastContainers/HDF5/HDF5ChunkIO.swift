import BlockcastFormats
import CHDF5

/// Zstandard chunks compressed and decompressed on all cores, bypassing HDF5's filter
/// pipeline (which runs one chunk at a time on the calling thread).
///
/// Applies to datasets whose chunks hold whole rows (every dimension but the first is
/// complete) and whose only filter is Zstandard: then chunk `i` is the contiguous byte range of
/// rows `i × rows ..< (i + 1) × rows` of the tensor, and its stored form is exactly what the
/// filter would produce (one zstd frame of the full chunk, the edge chunk padded with zeros).
/// Chunks go through in batches, so the extra memory stays at a few chunks per thread.
enum HDF5ChunkIO {
    /// Chunks handled per batch, per thread.
    static let chunksPerThread = 4

    /// The rows per chunk when `chunk` holds whole rows of `shape`, else nil.
    static func rowsPerChunk(shape: [Int], chunk: [Int]) -> Int? {
        guard shape.count == chunk.count, !shape.isEmpty, chunk[0] > 0,
            Array(shape.dropFirst()) == Array(chunk.dropFirst())
        else { return nil }
        return chunk[0]
    }

    /// Compresses `tensor` chunk by chunk in parallel and writes the chunks directly.
    /// Returns false when a chunk fails (the caller reports it with HDF5's stack).
    static func write(
        _ tensor: Tensor, to dataset: hid_t, rows: Int, level: Int32
    ) -> Bool {
        let rowBytes = tensor.shape.dropFirst().reduce(tensor.dtype.byteWidth, *)
        let chunkBytes = rows * rowBytes
        let chunkCount = (tensor.shape[0] + rows - 1) / rows
        let batch = max(1, Parallelism.threadCount * chunksPerThread)
        let rank = tensor.shape.count

        return tensor.withUnsafeBytes { raw -> Bool in
            var first = 0
            while first < chunkCount {
                let count = min(batch, chunkCount - first)
                var frames = [[UInt8]?](repeating: nil, count: count)
                frames.withUnsafeMutableBufferPointer { frames in
                    parallelFor(count) { i in
                        let start = (first + i) * chunkBytes
                        let end = min(start + chunkBytes, raw.count)
                        let piece = UnsafeRawBufferPointer(rebasing: raw[start..<end])
                        if piece.count == chunkBytes {
                            frames[i] = ZstdFrames.compress(piece, level: level)
                        } else {
                            // The edge chunk is stored full size, padded with zeros.
                            let padded = UnsafeMutableRawBufferPointer.allocate(
                                byteCount: chunkBytes, alignment: 64)
                            defer { padded.deallocate() }
                            padded.initializeMemory(as: UInt8.self, repeating: 0)
                            padded.copyMemory(from: piece)
                            frames[i] = ZstdFrames.compress(
                                UnsafeRawBufferPointer(padded), level: level)
                        }
                    }
                }
                for (i, frame) in frames.enumerated() {
                    guard let frame else { return false }
                    var offset = [hsize_t](repeating: 0, count: rank)
                    offset[0] = hsize_t((first + i) * rows)
                    let status = frame.withUnsafeBytes { bytes in
                        H5Dwrite_chunk(
                            dataset, HDF5.defaultList, 0, &offset, bytes.count, bytes.baseAddress)
                    }
                    guard status >= 0 else { return false }
                }
                first += count
            }
            return true
        }
    }

    /// Whether `dataset` qualifies: chunked in whole rows with Zstandard as its only filter.
    /// Returns the rows per chunk.
    static func zstdRows(of dataset: hid_t, shape: [Int]) -> Int? {
        let dcpl = H5Dget_create_plist(dataset)
        guard dcpl >= 0 else { return nil }
        defer { H5Pclose(dcpl) }
        guard H5Pget_layout(dcpl) == H5D_CHUNKED, H5Pget_nfilters(dcpl) == 1 else { return nil }
        var flags: UInt32 = 0
        var valueCount = 8
        var values = [UInt32](repeating: 0, count: 8)
        var config: UInt32 = 0
        var name = [CChar](repeating: 0, count: 64)
        let filter = H5Pget_filter2(dcpl, 0, &flags, &valueCount, &values, 64, &name, &config)
        guard filter == ZstdFilter.id else { return nil }
        var chunk = [hsize_t](repeating: 0, count: max(shape.count, 1))
        guard H5Pget_chunk(dcpl, Int32(shape.count), &chunk) == Int32(shape.count) else {
            return nil
        }
        return rowsPerChunk(shape: shape, chunk: chunk.prefix(shape.count).map { Int($0) })
    }

    /// Reads the chunks of `dataset` raw and decompresses them in parallel into `output`.
    /// Returns false when a chunk cannot be read or decoded.
    static func read(
        _ dataset: hid_t, shape: [Int], width: Int, rows: Int,
        into output: UnsafeMutableRawBufferPointer
    ) -> Bool {
        let rowBytes = shape.dropFirst().reduce(width, *)
        let chunkBytes = rows * rowBytes
        let chunkCount = (shape[0] + rows - 1) / rows
        let batch = max(1, Parallelism.threadCount * chunksPerThread)
        let rank = shape.count

        var first = 0
        while first < chunkCount {
            let count = min(batch, chunkCount - first)
            var stored: [(bytes: [UInt8], filtered: Bool)?] = []
            for i in 0..<count {
                var offset = [hsize_t](repeating: 0, count: rank)
                offset[0] = hsize_t((first + i) * rows)
                var size: hsize_t = 0
                guard H5Dget_chunk_storage_size(dataset, &offset, &size) >= 0 else { return false }
                if size == 0 {
                    // Never written: HDF5 would return the fill value, zero.
                    stored.append(nil)
                    continue
                }
                var mask: UInt32 = 0
                var bytes = [UInt8](repeating: 0, count: Int(size))
                guard H5Dread_chunk(dataset, HDF5.defaultList, &offset, &mask, &bytes) >= 0 else {
                    return false
                }
                stored.append((bytes, mask & 1 == 0))
            }

            var ok = [Bool](repeating: true, count: count)
            ok.withUnsafeMutableBufferPointer { ok in
                parallelFor(count) { i in
                    let start = (first + i) * chunkBytes
                    let end = min(start + chunkBytes, output.count)
                    let target = UnsafeMutableRawBufferPointer(rebasing: output[start..<end])
                    ok[i] = decode(stored[i], into: target, chunkBytes: chunkBytes)
                }
            }
            guard !ok.contains(false) else { return false }
            first += count
        }
        return true
    }

    /// One stored chunk into its rows of the output (the edge chunk is cut to fit).
    private static func decode(
        _ chunk: (bytes: [UInt8], filtered: Bool)?, into target: UnsafeMutableRawBufferPointer,
        chunkBytes: Int
    ) -> Bool {
        guard let chunk else {
            target.initializeMemory(as: UInt8.self, repeating: 0)
            return true
        }
        return chunk.bytes.withUnsafeBytes { source -> Bool in
            if !chunk.filtered {
                // The filter was skipped for this chunk: the bytes are stored as they are.
                guard source.count >= target.count else { return false }
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[..<target.count]))
                return true
            }
            if target.count == chunkBytes {
                return ZstdFrames.decompress(source, into: target)
            }
            let full = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: 64)
            defer { full.deallocate() }
            guard ZstdFrames.decompress(source, into: full) else { return false }
            target.copyMemory(from: UnsafeRawBufferPointer(rebasing: full[..<target.count]))
            return true
        }
    }
}
