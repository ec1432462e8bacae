import BlockcastFormats
import Foundation

/// The record a writer leaves last: every tensor's file, dtype, shape, size and checksum.
///
/// Its presence says the checkpoint is complete; ``Checkpoint/check()`` compares the data
/// with it. The on-disk form is specified in `formats/manifest.md` (version ``version``).
public struct Manifest: Sendable, Equatable {
    /// The file name, in the checkpoint directory.
    public static let fileName = "blockcast-manifest.json"
    /// The version of the format this code writes and reads.
    public static let version = 1

    /// One tensor's record.
    public struct Entry: Sendable, Hashable {
        /// The tensor name.
        public let name: String
        /// The file holding it, relative to the checkpoint directory.
        public let file: String
        /// The element type.
        public let dtype: DType
        /// The dimensions.
        public let shape: [Int]
        /// The number of data bytes (uncompressed).
        public let byteCount: Int
        /// xxHash64 (seed 0) of the raw little-endian bytes.
        public let checksum: UInt64

        /// Creates a record.
        public init(
            name: String, file: String, dtype: DType, shape: [Int], byteCount: Int,
            checksum: UInt64
        ) {
            self.name = name
            self.file = file
            self.dtype = dtype
            self.shape = shape
            self.byteCount = byteCount
            self.checksum = checksum
        }

        /// The record of `tensor` named `name` in `file`.
        public init(name: String, file: String, tensor: Tensor) {
            self.init(
                name: name, file: file, dtype: tensor.dtype, shape: tensor.shape,
                byteCount: tensor.byteCount, checksum: XXHash64.hash(tensor))
        }
    }

    /// The container of the files.
    public var container: ContainerFormat
    /// The files, in order.
    public var files: [String]
    /// The tensors, in write order.
    public var entries: [Entry]

    /// Creates a manifest.
    public init(container: ContainerFormat, files: [String], entries: [Entry]) {
        self.container = container
        self.files = files
        self.entries = entries
    }

    /// The JSON form (see `formats/manifest.md`).
    public var json: JSONValue {
        let tensors = entries.map { entry -> JSONValue in
            [
                "name": .string(entry.name), "file": .string(entry.file),
                "dtype": .string(entry.dtype.rawValue),
                "shape": .array(entry.shape.map { .integer($0) }),
                "bytes": .integer(entry.byteCount),
                "xxh64": .string(XXHash64.hex(entry.checksum)),
            ]
        }
        return [
            "format": "blockcast-manifest", "version": .integer(Manifest.version),
            "container": .string(container.rawValue), "checksum": "xxh64",
            "files": .array(files.map { .string($0) }), "tensors": .array(tensors),
        ]
    }

    /// Parses the JSON form; `file` names the manifest in errors.
    public init(json: JSONValue, file: String) throws(ContainerError) {
        func bad(_ what: String) -> ContainerError {
            ContainerError(.corrupt, file: file, "The manifest '\(file)' \(what).")
        }
        guard json["format"]?.stringValue == "blockcast-manifest" else {
            throw bad("is not a blockcast manifest")
        }
        guard let version = json["version"]?.intValue, version == Manifest.version else {
            throw bad("has version \(json["version"]?.serialized() ?? "none"), expected 1")
        }
        guard json["checksum"]?.stringValue == "xxh64" else {
            throw bad("uses an unknown checksum")
        }
        guard let container = json["container"]?.stringValue.flatMap(ContainerFormat.init) else {
            throw bad("names no known container")
        }
        guard let files = json["files"]?.arrayValue?.compactMap(\.stringValue) else {
            throw bad("has no files list")
        }
        guard let tensors = json["tensors"]?.arrayValue else { throw bad("has no tensors list") }
        var entries: [Entry] = []
        for item in tensors {
            guard let name = item["name"]?.stringValue, let entryFile = item["file"]?.stringValue,
                let dtype = item["dtype"]?.stringValue.flatMap(DType.init(rawValue:)),
                let dims = item["shape"]?.arrayValue, let bytes = item["bytes"]?.intValue,
                let hex = item["xxh64"]?.stringValue, hex.count == 16,
                let checksum = UInt64(hex, radix: 16)
            else { throw bad("has a malformed tensor entry") }
            let shape = dims.compactMap(\.intValue)
            guard shape.count == dims.count else { throw bad("has a malformed shape") }
            entries.append(
                Entry(
                    name: name, file: entryFile, dtype: dtype, shape: shape, byteCount: bytes,
                    checksum: checksum))
        }
        self.init(container: container, files: files, entries: entries)
    }

    /// Reads `blockcast-manifest.json` from `directory`.
    public static func load(directory: String) throws(ContainerError) -> Manifest {
        let path = (directory as NSString).appendingPathComponent(fileName)
        return try Manifest(json: CheckpointLayout.readJSON(path, what: "manifest"), file: path)
    }

    /// Writes the manifest into `directory`, through a temporary file renamed into place.
    public func write(directory: String) throws(ContainerError) {
        let path = (directory as NSString).appendingPathComponent(Manifest.fileName)
        try AtomicFile.write(Array((json.prettySerialized() + "\n").utf8), to: path)
    }
}
