import BlockcastFormats
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes one safetensors file whose tensors are known in advance, in any order.
///
/// The header is computed from the plan and written first, so each tensor's bytes go straight
/// to their final offset (`pwrite`), one tensor in memory at a time. Tensors are laid out
/// contiguously, widest dtype first (then in plan order), so every tensor starts at a multiple
/// of its element width; the header is padded with spaces to a multiple of 8 bytes. Output goes
/// to a temporary name beside `path` and is renamed into place by ``finish()``.
public final class SafetensorsWriter {
    /// The final path.
    public let path: String
    /// The layout: each tensor's spec and byte range in the data area, in file order.
    public let layout: [(spec: TensorSpec, range: Range<Int>)]
    /// The records of the tensors written so far (checksum of their bytes), in write order.
    public private(set) var written: [Manifest.Entry] = []

    private let temporary: String
    private let dataStart: Int
    private let indexByName: [String: Int]
    private var done: [Bool]
    private var fd: Int32
    private var finished = false

    /// Creates the temporary file and writes the header for `tensors` (names must be unique).
    public init(
        path: String, tensors: [TensorSpec], metadata: [String: String] = [:]
    ) throws(ContainerError) {
        self.path = path
        var indexByName: [String: Int] = [:]
        for spec in tensors {
            guard indexByName[spec.name] == nil else {
                throw ContainerError(
                    .duplicateTensor, file: path, tensor: spec.name,
                    "Tensor '\(spec.name)' is planned twice for '\(path)'.")
            }
            guard spec.name != "__metadata__", !spec.name.isEmpty else {
                throw ContainerError(
                    .invalidUse, file: path, tensor: spec.name,
                    "'\(spec.name)' cannot be a safetensors tensor name.")
            }
            indexByName[spec.name] = indexByName.count
        }

        // Widest first keeps every tensor aligned to its element size.
        let ordered = tensors.enumerated().sorted {
            ($1.element.dtype.byteWidth, $0.offset) < ($0.element.dtype.byteWidth, $1.offset)
        }.map(\.element)
        var layout: [(spec: TensorSpec, range: Range<Int>)] = []
        var offset = 0
        for spec in ordered {
            layout.append((spec, offset..<(offset + spec.byteCount)))
            offset += spec.byteCount
        }
        self.layout = layout
        self.indexByName = Dictionary(
            uniqueKeysWithValues: layout.enumerated().map { ($1.spec.name, $0) })
        self.done = Array(repeating: false, count: layout.count)

        let header = SafetensorsWriter.header(layout, metadata: metadata)
        self.dataStart = header.count
        self.temporary = AtomicFile.temporaryPath(for: path)
        fd = Glibc.open(temporary, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AtomicFile.ioError("create", temporary, shown: path) }
        do throws(ContainerError) {
            let result = header.withUnsafeBytes { raw in
                Result { () throws(ContainerError) in try writeFully(raw, at: 0) }
            }
            try result.get()
            // Size the file now so a missing tensor reads back as zeros, never as a short file.
            guard ftruncate(fd, off_t(dataStart + offset)) == 0 else {
                throw AtomicFile.ioError("resize", temporary, shown: path)
            }
        } catch {
            abandon()
            throw error
        }
    }

    deinit {
        if !finished { abandon() }
    }

    /// The bytes before the data: the 8-byte length and the padded JSON header.
    package static func header(
        _ layout: [(spec: TensorSpec, range: Range<Int>)], metadata: [String: String]
    ) -> [UInt8] {
        var members: [String: JSONValue] = [:]
        for (spec, range) in layout {
            members[spec.name] = [
                "dtype": .string(spec.dtype.rawValue),
                "shape": .array(spec.shape.map { .integer($0) }),
                "data_offsets": [.integer(range.lowerBound), .integer(range.upperBound)],
            ]
        }
        if !metadata.isEmpty {
            members["__metadata__"] = .object(metadata.mapValues { .string($0) })
        }
        var json = Array(JSONValue.object(members).serialized().utf8)
        while (8 + json.count) % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var bytes = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) }
        bytes.append(contentsOf: json)
        return bytes
    }

    /// Writes the data of tensor `name`, which must match its planned dtype and shape, and
    /// returns its record.
    @discardableResult
    public func write(_ name: String, _ tensor: Tensor) throws(ContainerError) -> Manifest.Entry {
        guard let index = indexByName[name] else {
            throw ContainerError(
                .invalidUse, file: path, tensor: name,
                "Tensor '\(name)' was not planned for '\(path)'.")
        }
        let (spec, range) = layout[index]
        guard !done[index] else {
            throw ContainerError(
                .invalidUse, file: path, tensor: name,
                "Tensor '\(name)' was already written to '\(path)'.")
        }
        guard tensor.dtype == spec.dtype, tensor.shape == spec.shape else {
            throw ContainerError(
                .shapeMismatch, file: path, tensor: name,
                "Tensor '\(name)' for '\(path)' was planned as \(spec.dtype.rawValue) "
                    + "\(spec.shape) but is \(tensor.dtype.rawValue) \(tensor.shape).")
        }
        try tensor.withUnsafeBytes { raw throws(ContainerError) in
            try writeFully(raw, at: dataStart + range.lowerBound)
        }
        done[index] = true
        let entry = Manifest.Entry(name: name, file: path, tensor: tensor)
        written.append(entry)
        return entry
    }

    /// Checks every planned tensor was written, then renames the file into place.
    public func finish() throws(ContainerError) {
        if let missing = layout.indices.first(where: { !done[$0] }) {
            let name = layout[missing].spec.name
            throw ContainerError(
                .invalidUse, file: path, tensor: name,
                "Tensor '\(name)' was planned for '\(path)' but never written.")
        }
        guard close(fd) == 0 else {
            fd = -1
            throw AtomicFile.ioError("close", temporary, shown: path)
        }
        fd = -1
        try AtomicFile.commit(temporary, to: path)
        finished = true
    }

    /// Stops writing and removes the temporary file (what an error or interruption leaves).
    public func abandon() {
        if fd >= 0 { close(fd) }
        fd = -1
        unlink(temporary)
        finished = true
    }

    private func writeFully(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(ContainerError)
    {
        var done = 0
        while done < bytes.count {
            let chunk = min(bytes.count - done, 1 << 30)
            let result = pwrite(fd, bytes.baseAddress! + done, chunk, off_t(offset + done))
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { throw AtomicFile.ioError("write", temporary, shown: path) }
            done += result
        }
    }
}

extension SafetensorsWriter {
    /// Writes `tensors` (in memory already) to `path` in one call.
    public static func write(
        _ tensors: [(name: String, tensor: Tensor)], to path: String,
        metadata: [String: String] = [:]
    ) throws(ContainerError) {
        let writer = try SafetensorsWriter(
            path: path, tensors: tensors.map { TensorSpec(name: $0.name, $0.tensor) },
            metadata: metadata)
        for (name, tensor) in tensors { try writer.write(name, tensor) }
        try writer.finish()
    }
}
