import BlockcastContainers

/// ``TensorFileWriting`` over the containers' ``HDF5Writer``; the config becomes each file's
/// root attribute, as the HDF5 layout asks.
final class HDF5FileWriter: TensorFileWriting {
    private let writer: HDF5Writer
    private let name: String

    /// Starts the file at `path` for the tensors of `planned`.
    init(path: String, planned: PlannedFile, config: JSONValue?, zstdLevel: Int?) throws {
        name = planned.name
        writer = try HDF5Writer(path: path, compressionLevel: zstdLevel, config: config)
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
