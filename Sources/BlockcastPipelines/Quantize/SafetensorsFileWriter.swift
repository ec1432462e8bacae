import BlockcastContainers

/// ``TensorFileWriting`` over the containers' ``SafetensorsWriter``.
final class SafetensorsFileWriter: TensorFileWriting {
    private let writer: SafetensorsWriter
    private let name: String

    /// Starts the file at `path` for the tensors of `planned`.
    init(path: String, planned: PlannedFile) throws {
        name = planned.name
        writer = try SafetensorsWriter(
            path: path,
            tensors: planned.tensors.map {
                TensorSpec(name: $0.name, dtype: $0.dtype, shape: $0.shape)
            },
            metadata: ["format": "pt"])
    }

    func write(name: String, tensor: Tensor) throws { try writer.write(name, tensor) }

    func commit() throws { try writer.finish() }

    func abandon() { writer.abandon() }

    var manifestEntries: [Manifest.Entry] {
        writer.written.map {
            Manifest.Entry(
                name: $0.name, file: name, dtype: $0.dtype, shape: $0.shape,
                byteCount: $0.byteCount, checksum: $0.checksum)
        }
    }
}
