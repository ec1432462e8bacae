import BlockcastFormats
import CHDF5

#if canImport(Glibc)
    import Glibc
#endif

/// Writes tensors into one HDF5 file in the layout of `formats/hdf5-layout.md`.
///
/// Each tensor becomes a chunked dataset at the group path of its dotted name, optionally
/// compressed with the Zstandard filter (id 32015). Tensors can come in any order and need no
/// plan. Output goes to a temporary name beside `path`, renamed into place by ``finish()``.
public final class HDF5Writer {
    /// The final path.
    public let path: String
    /// The zstd level, or nil for uncompressed datasets.
    public let compressionLevel: Int?
    /// The records of the tensors written so far, in write order.
    public private(set) var written: [Manifest.Entry] = []

    /// The uncompressed size a chunk aims at.
    package static let chunkTarget = 4 << 20

    private let temporary: String
    private var fileID: hid_t = -1
    private var names = Set<String>()
    private var groups = Set<String>()
    private var finished = false

    /// Creates the temporary file; `config`, if given, becomes the root attribute `config`.
    public init(
        path: String, compressionLevel: Int? = nil, config: JSONValue? = nil
    ) throws(ContainerError) {
        self.path = path
        self.compressionLevel = compressionLevel
        self.temporary = AtomicFile.temporaryPath(for: path)
        let temporary = self.temporary
        fileID = try HDF5.locked { () throws(ContainerError) -> hid_t in
            // The root group, like every object, would otherwise record when it was made.
            let fcpl = H5Pcreate(bc_h5p_file_create())
            defer { H5Pclose(fcpl) }
            H5Pset_obj_track_times(fcpl, false)
            let id = H5Fcreate(temporary, bc_h5f_acc_trunc(), fcpl, HDF5.defaultList)
            guard id >= 0 else {
                throw HDF5.failure(.io, file: path, "Could not create HDF5 file '\(temporary)'.")
            }
            if let config, !HDF5Strings.write(config.serialized(), name: "config", to: id) {
                H5Fclose(id)
                unlink(temporary)
                throw HDF5.failure(file: path, "Could not write the config attribute of '\(path)'.")
            }
            return id
        }
    }

    deinit {
        if !finished { abandon() }
    }

    /// Writes `tensor` as the dataset for `name` (dots become groups) and returns its record.
    @discardableResult
    public func write(_ name: String, _ tensor: Tensor) throws(ContainerError) -> Manifest.Entry {
        let components = name.split(separator: ".", omittingEmptySubsequences: false)
        guard !name.contains("/"), !components.contains(where: \.isEmpty) else {
            throw ContainerError(
                .invalidUse, file: path, tensor: name,
                "Tensor name '\(name)' cannot be stored in HDF5: it has an empty component or "
                    + "a '/'.")
        }
        guard names.insert(name).inserted else {
            throw ContainerError(
                .invalidUse, file: path, tensor: name,
                "Tensor '\(name)' was already written to '\(path)'.")
        }
        let datasetPath = "/" + components.joined(separator: "/")
        try HDF5.locked { () throws(ContainerError) in
            try createGroups(components.dropLast().map(String.init), name: name)
            try createDataset(datasetPath, name: name, tensor)
        }
        let entry = Manifest.Entry(name: name, file: path, tensor: tensor)
        written.append(entry)
        return entry
    }

    /// Creates the groups along `components` that do not exist yet, without timestamps.
    private func createGroups(_ components: [String], name: String) throws(ContainerError) {
        var path = ""
        for component in components {
            path += "/" + component
            guard !groups.contains(path) else { continue }
            let gcpl = H5Pcreate(bc_h5p_group_create())
            defer { H5Pclose(gcpl) }
            H5Pset_obj_track_times(gcpl, false)
            if H5Lexists(fileID, path, HDF5.defaultList) <= 0 {
                let group = H5Gcreate2(fileID, path, HDF5.defaultList, gcpl, HDF5.defaultList)
                guard group >= 0 else {
                    throw HDF5.failure(
                        file: self.path, tensor: name,
                        "Could not create group '\(path)' for tensor '\(name)' in '\(self.path)'.")
                }
                H5Gclose(group)
            }
            groups.insert(path)
        }
    }

    private func createDataset(_ datasetPath: String, name: String, _ tensor: Tensor)
        throws(ContainerError)
    {
        let (type, tag) = HDF5TypeMapping.fileType(for: tensor.dtype)
        defer { H5Tclose(type) }
        var dims = tensor.shape.map { hsize_t($0) }
        let space =
            tensor.shape.isEmpty
            ? H5Screate(H5S_SCALAR)
            : H5Screate_simple(
                Int32(dims.count), &dims, nil)
        defer { H5Sclose(space) }
        let dcpl = H5Pcreate(bc_h5p_dataset_create())
        defer { H5Pclose(dcpl) }
        // Object headers would otherwise carry modification times: same input, other bytes.
        H5Pset_obj_track_times(dcpl, false)
        let lcpl = H5Pcreate(bc_h5p_link_create())
        defer { H5Pclose(lcpl) }
        H5Pset_create_intermediate_group(lcpl, 1)

        let chunkShape = HDF5Writer.chunkShape(tensor.shape, width: tensor.dtype.byteWidth)
        if let chunk = chunkShape {
            var chunkDims = chunk.map { hsize_t($0) }
            H5Pset_chunk(dcpl, Int32(chunkDims.count), &chunkDims)
            if let level = compressionLevel {
                var values = [UInt32(bitPattern: Int32(clamping: level))]
                H5Pset_filter(dcpl, ZstdFilter.id, UInt32(H5Z_FLAG_MANDATORY), 1, &values)
            }
        }

        let dataset = H5Dcreate2(fileID, datasetPath, type, space, lcpl, dcpl, HDF5.defaultList)
        guard dataset >= 0 else {
            throw HDF5.failure(
                file: path, tensor: name,
                "Could not create the dataset for tensor '\(name)' in '\(path)'.")
        }
        defer { H5Dclose(dataset) }
        if let tag, !HDF5Strings.write(tag, name: "dtype", to: dataset) {
            throw HDF5.failure(
                file: path, tensor: name,
                "Could not write the dtype attribute of tensor '\(name)' in '\(path)'.")
        }
        guard tensor.byteCount > 0 else { return }
        if let level = compressionLevel, let chunk = chunkShape,
            let rows = HDF5ChunkIO.rowsPerChunk(shape: tensor.shape, chunk: chunk)
        {
            guard HDF5ChunkIO.write(tensor, to: dataset, rows: rows, level: Int32(clamping: level))
            else {
                throw HDF5.failure(
                    .compression, file: path, tensor: name,
                    "Could not compress and write tensor '\(name)' to '\(path)'.")
            }
            return
        }
        let status = tensor.withUnsafeBytes { raw in
            H5Dwrite(dataset, type, bc_h5s_all(), bc_h5s_all(), HDF5.defaultList, raw.baseAddress)
        }
        guard status >= 0 else {
            throw HDF5.failure(
                .io, file: path, tensor: name,
                "Could not write tensor '\(name)' to '\(path)'.")
        }
    }

    /// The chunk dimensions for a tensor, or nil when it cannot be chunked (scalar or empty).
    ///
    /// Chunks hold whole trailing dimensions where they fit, and as many outer rows as keep
    /// them at or under ``chunkTarget`` bytes (always at least one element).
    package static func chunkShape(_ shape: [Int], width: Int) -> [Int]? {
        guard !shape.isEmpty, !shape.contains(0) else { return nil }
        var chunk = shape
        for axis in chunk.indices {
            let bytes = chunk.reduce(width, *)
            if bytes <= chunkTarget { break }
            let inner = bytes / chunk[axis]
            if inner <= chunkTarget {
                chunk[axis] = max(1, chunkTarget / inner)
                break
            }
            chunk[axis] = 1
        }
        return chunk
    }

    /// Closes the file and renames it into place.
    public func finish() throws(ContainerError) {
        let id = fileID
        fileID = -1
        let status = HDF5.locked { H5Fclose(id) }
        guard status >= 0 else {
            let error = HDF5.locked {
                HDF5.failure(.io, file: path, "Could not close HDF5 file '\(temporary)'.")
            }
            unlink(temporary)
            finished = true
            throw error
        }
        try AtomicFile.commit(temporary, to: path)
        finished = true
    }

    /// Stops writing and removes the temporary file.
    public func abandon() {
        if fileID >= 0 {
            let id = fileID
            _ = HDF5.locked { H5Fclose(id) }
            fileID = -1
        }
        unlink(temporary)
        finished = true
    }
}
