import BlockcastFormats

/// A validated safetensors header: where each tensor's bytes are, and the `__metadata__`.
///
/// ``parse(_:file:)`` trusts nothing in the file: the length field is checked against the file
/// size, the JSON is parsed by a parser that refuses deep nesting and duplicate keys, and every
/// tensor's dtype × shape must equal its byte range, which must lie inside the data area and
/// overlap no other tensor's range.
package struct SafetensorsHeader: Sendable {
    /// One tensor's entry.
    package struct Entry: Sendable, Hashable {
        /// The tensor name.
        package let name: String
        /// The element type.
        package let dtype: DType
        /// The dimensions.
        package let shape: [Int]
        /// The byte range within the data area (after the header).
        package let range: Range<Int>
    }

    /// The entries, ordered by data offset, then by name.
    package let entries: [Entry]
    /// The `__metadata__` map, empty when absent.
    package let metadata: [String: String]
    /// The file offset where the data area starts (8 + header length).
    package let dataStart: Int

    /// The largest header accepted; the reference implementation uses the same limit.
    package static let maximumHeaderLength = 100_000_000

    /// Validates the header at the start of `bytes` (the whole file); `file` names it in errors.
    package static func parse(
        _ bytes: UnsafeRawBufferPointer, file: String
    ) throws(ContainerError) -> SafetensorsHeader {
        guard bytes.count >= 8 else {
            throw ContainerError(
                .notAContainer, file: file,
                "'\(file)' is too short to be a safetensors file: \(bytes.count) bytes, "
                    + "expected at least 8.")
        }
        let length = bytes.loadUnaligned(as: UInt64.self).littleEndian
        let available = UInt64(bytes.count - 8)
        guard length <= available else {
            throw ContainerError(
                .corrupt, file: file,
                "The safetensors header of '\(file)' claims \(length) bytes, but only "
                    + "\(available) follow the length field.")
        }
        guard length <= UInt64(maximumHeaderLength) else {
            throw ContainerError(
                .corrupt, file: file,
                "The safetensors header of '\(file)' is \(length) bytes, more than the "
                    + "\(maximumHeaderLength) allowed.")
        }
        let dataStart = 8 + Int(length)
        let json = try parseJSON(UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart]), file)
        guard case .object(let members) = json else {
            throw ContainerError(
                .corrupt, file: file, "The safetensors header of '\(file)' is not a JSON object.")
        }

        let dataSize = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        entries.reserveCapacity(members.count)
        for (name, value) in members {
            if name == "__metadata__" {
                metadata = try parseMetadata(value, file)
            } else {
                entries.append(try parseEntry(name, value, dataSize: dataSize, file))
            }
        }
        entries.sort { ($0.range.lowerBound, $0.name) < ($1.range.lowerBound, $1.name) }
        try checkOverlaps(entries, file)
        return SafetensorsHeader(entries: entries, metadata: metadata, dataStart: dataStart)
    }

    private static func parseJSON(
        _ text: UnsafeRawBufferPointer, _ file: String
    ) throws(ContainerError) -> JSONValue {
        do {
            return try JSONValue.parse(text)
        } catch {
            if let key = error.duplicateKey {
                throw ContainerError(
                    .duplicateTensor, file: file, tensor: key,
                    "Tensor '\(key)' appears twice in the header of '\(file)'.")
            }
            throw ContainerError(
                .corrupt, file: file,
                "The safetensors header of '\(file)' is not valid JSON: \(error).")
        }
    }

    private static func parseMetadata(
        _ value: JSONValue, _ file: String
    ) throws(ContainerError) -> [String: String] {
        var metadata: [String: String] = [:]
        guard case .object(let members) = value else {
            throw ContainerError(
                .corrupt, file: file,
                "The __metadata__ of '\(file)' is not an object of strings.")
        }
        for (key, item) in members {
            guard case .string(let text) = item else {
                throw ContainerError(
                    .corrupt, file: file,
                    "The __metadata__ of '\(file)' is not an object of strings ('\(key)').")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func parseEntry(
        _ name: String, _ value: JSONValue, dataSize: Int, _ file: String
    ) throws(ContainerError) -> Entry {
        func fail(_ code: ContainerError.Code, _ what: String) -> ContainerError {
            ContainerError(code, file: file, tensor: name, "Tensor '\(name)' in '\(file)' \(what).")
        }

        guard case .object(let fields) = value else { throw fail(.corrupt, "is not an object") }
        guard let dtypeName = fields["dtype"]?.stringValue else {
            throw fail(.corrupt, "has no dtype")
        }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw fail(.unsupportedType, "has unknown dtype '\(dtypeName)'")
        }
        guard let dims = fields["shape"]?.arrayValue else { throw fail(.corrupt, "has no shape") }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        for dim in dims {
            guard case .integer(let size) = dim, size >= 0 else {
                throw fail(.corrupt, "has an invalid shape")
            }
            shape.append(size)
        }
        guard let offsets = fields["data_offsets"]?.arrayValue, offsets.count == 2,
            case .integer(let begin) = offsets[0], case .integer(let end) = offsets[1],
            begin >= 0, end >= begin
        else { throw fail(.corrupt, "has invalid data_offsets") }
        guard end <= dataSize else {
            throw fail(
                .corrupt,
                "has data_offsets [\(begin), \(end)] beyond the data area of \(dataSize) bytes")
        }
        guard let expected = ShapeMath.byteCount(shape, width: dtype.byteWidth),
            expected == end - begin
        else {
            let size = ShapeMath.byteCount(shape, width: dtype.byteWidth).map { "\($0) bytes" }
            throw fail(
                .shapeMismatch,
                "is \(dtype.rawValue) of shape \(shape) (\(size ?? "too many bytes")), but its "
                    + "data_offsets [\(begin), \(end)] span \(end - begin) bytes")
        }
        return Entry(name: name, dtype: dtype, shape: shape, range: begin..<end)
    }

    private static func checkOverlaps(_ entries: [Entry], _ file: String) throws(ContainerError) {
        // Sorted by start, a range overlaps an earlier one exactly when it starts before the
        // furthest end seen so far. Empty tensors occupy nothing and overlap nothing.
        var furthest: Entry?
        for entry in entries where !entry.range.isEmpty {
            if let previous = furthest, entry.range.lowerBound < previous.range.upperBound {
                let a = previous.range
                let b = entry.range
                throw ContainerError(
                    .corrupt, file: file, tensor: entry.name,
                    "Tensors '\(previous.name)' and '\(entry.name)' in '\(file)' overlap: "
                        + "[\(a.lowerBound), \(a.upperBound)] and "
                        + "[\(b.lowerBound), \(b.upperBound)].")
            }
            if furthest == nil || entry.range.upperBound > furthest!.range.upperBound {
                furthest = entry
            }
        }
    }
}
