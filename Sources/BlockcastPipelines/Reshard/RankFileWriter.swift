import BlockcastContainers
import BlockcastFormats
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes one safetensors rank file whose layout is fixed before any data exists.
///
/// A safetensors header comes first and holds every tensor's offsets, so a writer that
/// streams must know all shapes up front. The plan does: this writer lays the pieces out in
/// plan order, writes the header, and then takes each piece's bytes whenever they come
/// (`pwrite` at its offset, safe from several threads). The file grows under a temporary
/// name and is renamed into place by ``finish()``; nothing else is ever held in memory.
final class RankFileWriter: @unchecked Sendable {
    /// The final path.
    let path: String
    /// The header bytes: length prefix, JSON, space padding to a multiple of 8.
    let header: [UInt8]
    /// Each piece's byte range in the data area, in the order of the pieces given.
    let ranges: [Range<Int>]
    /// The total file size.
    let fileSize: Int

    private let temporary: String
    private var descriptor: Int32 = -1

    /// The header and data ranges of a file holding `pieces` in order.
    static func layout(
        _ pieces: [RankPiece], metadata: [String: String]
    ) -> (header: [UInt8], ranges: [Range<Int>]) {
        // Widest dtype first, then plan order: every tensor starts at a multiple of its
        // element width, as the containers' writer and the reference writer arrange it.
        let order = pieces.indices.sorted {
            (pieces[$1].dtype.byteWidth, $0) < (pieces[$0].dtype.byteWidth, $1)
        }
        var ranges = [Range<Int>](repeating: 0..<0, count: pieces.count)
        var offset = 0
        for index in order {
            ranges[index] = offset..<(offset + pieces[index].byteCount)
            offset += pieces[index].byteCount
        }
        var members: [String: JSONValue] = [:]
        for (piece, range) in zip(pieces, ranges) {
            members[piece.name] = [
                "dtype": .string(piece.dtype.rawValue),
                "shape": .array(piece.shape.map { .integer($0) }),
                "data_offsets": [.integer(range.lowerBound), .integer(range.upperBound)],
            ]
        }
        if !metadata.isEmpty {
            members["__metadata__"] = .object(metadata.mapValues { .string($0) })
        }
        var json = Array(JSONValue.object(members).serialized().utf8)
        // Padding keeps the data area 8-byte aligned, as the reference writer does.
        while json.count % 8 != 0 { json.append(0x20) }
        var header = [UInt8](repeating: 0, count: 8)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { header = Array($0) }
        return (header + json, ranges)
    }

    /// Creates the temporary file for `path`, sized for every piece, with its header written.
    init(path: String, pieces: [RankPiece], metadata: [String: String]) throws(ReshardError) {
        self.path = path
        (header, ranges) = Self.layout(pieces, metadata: metadata)
        fileSize = header.count + (ranges.map(\.upperBound).max() ?? 0)
        let url = URL(fileURLWithPath: path)
        temporary =
            url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())").path

        descriptor = Glibc.open(temporary, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.failure("create", temporary, path) }
        guard ftruncate(descriptor, off_t(fileSize)) == 0 else {
            let error = Self.failure("size", temporary, path)
            abandon()
            throw error
        }
        let headerWritten = header.withUnsafeBytes { writeAll($0, at: 0) }
        guard headerWritten else {
            let error = Self.failure("write", temporary, path)
            abandon()
            throw error
        }
    }

    deinit { abandon() }

    /// Writes piece `index`'s bytes at their place.
    func write(piece index: Int, bytes: UnsafeRawBufferPointer) throws(ReshardError) {
        precondition(bytes.count == ranges[index].count, "piece \(index) has the wrong size")
        guard writeAll(bytes, at: header.count + ranges[index].lowerBound) else {
            throw Self.failure("write", temporary, path)
        }
    }

    /// Closes the file and renames it into place.
    func finish() throws(ReshardError) {
        guard descriptor >= 0 else { return }
        let closed = close(descriptor)
        descriptor = -1
        guard closed == 0 else { throw Self.failure("close", temporary, path) }
        guard rename(temporary, path) == 0 else {
            let error = Self.failure("rename", temporary, path)
            unlink(temporary)
            throw error
        }
    }

    /// Closes and deletes the temporary file (no effect after ``finish()``).
    func abandon() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
        unlink(temporary)
    }

    /// Writes all of `bytes` at `offset`, retrying short and interrupted writes; false (with
    /// `errno` set) on failure.
    private func writeAll(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        var done = 0
        while done < bytes.count {
            let result = pwrite(
                descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { return false }
            done += result
        }
        return true
    }

    private static func failure(_ operation: String, _ file: String, _ path: String) -> ReshardError
    {
        let reason = String(cString: strerror(errno))
        return ReshardError(
            .output, "Could not \(operation) '\(file)' while writing '\(path)': \(reason).")
    }
}
