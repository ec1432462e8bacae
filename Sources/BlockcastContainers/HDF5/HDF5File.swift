import BlockcastFormats
import CHDF5

#if canImport(Glibc)
    import Glibc
#endif

/// One HDF5 file opened for reading: its datasets as tensors, and its `config` attribute.
///
/// Opening walks the groups and reads each dataset's type, shape and `dtype` attribute, but no
/// data; ``read(_:)`` reads one dataset. Names join the group path with dots
/// (`model/layers/0/mlp/gate_proj/weight` → `model.layers.0.mlp.gate_proj.weight`), so a file
/// whose datasets sit flat under the root with dotted names reads the same way.
final class HDF5File: @unchecked Sendable {
    /// One dataset.
    struct Entry: Sendable, Hashable {
        /// The dotted tensor name.
        let name: String
        /// The HDF5 path of the dataset (`/model/layers/0/...`).
        let path: String
        /// The element type.
        let dtype: DType
        /// The dimensions.
        let shape: [Int]
    }

    /// The file name used in messages.
    let displayPath: String
    /// The datasets, in traversal order (links in name order, depth first).
    private(set) var entries: [Entry] = []
    /// The JSON of the root attribute `config`, if present.
    private(set) var config: JSONValue?
    private let fileID: hid_t

    /// Opens `path` read-only; `displayPath` names it in errors.
    init(path: String, displayPath: String) throws(ContainerError) {
        self.displayPath = displayPath
        var info = stat()
        guard stat(path, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            throw ContainerError(
                .fileNotFound, file: displayPath, "Could not open '\(displayPath)': \(reason).")
        }
        fileID = try HDF5.locked { () throws(ContainerError) -> hid_t in
            let isHDF5 = H5Fis_hdf5(path)
            guard isHDF5 > 0 else {
                _ = HDF5.takeErrorStack()
                throw ContainerError(
                    .notAContainer, file: displayPath,
                    "'\(displayPath)' is not an HDF5 file (no HDF5 signature).")
            }
            let id = H5Fopen(path, bc_h5f_acc_rdonly(), HDF5.defaultList)
            guard id >= 0 else {
                throw HDF5.failure(
                    .corrupt, file: displayPath,
                    "Could not open HDF5 file '\(displayPath)': it is damaged or truncated.")
            }
            return id
        }
        do {
            try HDF5.locked { () throws(ContainerError) in
                try visit(group: fileID, path: "", names: [])
                config = try readConfig()
            }
        } catch {
            _ = HDF5.locked { H5Fclose(fileID) }
            throw error
        }
    }

    deinit {
        _ = HDF5.locked { H5Fclose(fileID) }
    }

    /// Reads the whole dataset of `entry` as little-endian bytes.
    func read(_ entry: Entry) throws(ContainerError) -> Tensor {
        try HDF5.locked { () throws(ContainerError) -> Tensor in
            let dataset = H5Dopen2(fileID, entry.path, HDF5.defaultList)
            guard dataset >= 0 else {
                throw HDF5.failure(
                    file: displayPath, tensor: entry.name,
                    "Could not open dataset '\(entry.path)' in '\(displayPath)'.")
            }
            defer { H5Dclose(dataset) }
            let memoryType = try littleEndianType(of: dataset, entry)
            defer { H5Tclose(memoryType) }
            let fastRows =
                storedLittleEndian(dataset)
                ? HDF5ChunkIO.zstdRows(of: dataset, shape: entry.shape) : nil
            return try Tensor(
                dtype: entry.dtype, shape: entry.shape, file: displayPath, tensor: entry.name
            ) { (buffer) throws(ContainerError) in
                guard buffer.count > 0 else { return }
                if let rows = fastRows {
                    let width = entry.dtype.byteWidth
                    guard
                        HDF5ChunkIO.read(
                            dataset, shape: entry.shape, width: width, rows: rows, into: buffer)
                    else {
                        throw HDF5.failure(
                            .corrupt, file: displayPath, tensor: entry.name,
                            "Could not decompress tensor '\(entry.name)' from '\(displayPath)'.")
                    }
                    return
                }
                let status = H5Dread(
                    dataset, memoryType, bc_h5s_all(), bc_h5s_all(), HDF5.defaultList,
                    buffer.baseAddress)
                guard status >= 0 else {
                    throw HDF5.failure(
                        .corrupt, file: displayPath, tensor: entry.name,
                        "Could not read tensor '\(entry.name)' from '\(displayPath)'.")
                }
            }
        }
    }

    /// Whether the stored bytes already are the little-endian bytes a tensor holds (so chunks
    /// can be copied without HDF5's type conversion).
    private func storedLittleEndian(_ dataset: hid_t) -> Bool {
        let type = H5Dget_type(dataset)
        guard type >= 0 else { return false }
        defer { H5Tclose(type) }
        let typeClass = H5Tget_class(type)
        guard typeClass == H5T_FLOAT || typeClass == H5T_INTEGER || typeClass == H5T_ENUM else {
            return false
        }
        return H5Tget_size(type) == 1 || H5Tget_order(type) == H5T_ORDER_LE
    }

    /// The dataset's own type with its byte order set to little-endian, for `H5Dread`.
    private func littleEndianType(
        of dataset: hid_t, _ entry: Entry
    ) throws(ContainerError) -> hid_t {
        let fileType = H5Dget_type(dataset)
        guard fileType >= 0 else {
            throw HDF5.failure(
                file: displayPath, tensor: entry.name,
                "Could not read the type of '\(entry.name)' in '\(displayPath)'.")
        }
        defer { H5Tclose(fileType) }
        let memoryType = H5Tcopy(fileType)
        if H5Tget_size(memoryType) > 1 {
            H5Tset_order(memoryType, H5T_ORDER_LE)
        }
        return memoryType
    }

    // MARK: - Traversal

    private func visit(group: hid_t, path: String, names: [String]) throws(ContainerError) {
        var info = H5G_info_t()
        guard H5Gget_info(group, &info) >= 0 else {
            throw HDF5.failure(
                .corrupt, file: displayPath,
                "Could not list group '\(path.isEmpty ? "/" : path)' in '\(displayPath)'.")
        }
        for index in 0..<info.nlinks {
            let name = try linkName(group, index, path)
            var link = H5L_info_t()
            guard H5Lget_info(group, name, &link, HDF5.defaultList) >= 0 else {
                throw HDF5.failure(
                    .corrupt, file: displayPath,
                    "Could not read link '\(path)/\(name)' in '\(displayPath)'.")
            }
            // Soft and external links would name an object twice or leave the file.
            guard link.type == H5L_TYPE_HARD else { continue }

            let object = H5Oopen(group, name, HDF5.defaultList)
            guard object >= 0 else {
                throw HDF5.failure(
                    .corrupt, file: displayPath,
                    "Could not open '\(path)/\(name)' in '\(displayPath)'.")
            }
            defer { H5Oclose(object) }
            switch H5Iget_type(object) {
            case H5I_GROUP:
                try visit(group: object, path: path + "/" + name, names: names + [name])
            case H5I_DATASET:
                let tensorName = (names + [name]).joined(separator: ".")
                entries.append(try describe(object, path: path + "/" + name, name: tensorName))
            default:
                continue
            }
        }
    }

    private func linkName(_ group: hid_t, _ index: hsize_t, _ path: String) throws(ContainerError)
        -> String
    {
        let length = H5Lget_name_by_idx(
            group, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, HDF5.defaultList)
        guard length >= 0 else {
            throw HDF5.failure(
                .corrupt, file: displayPath,
                "Could not list group '\(path.isEmpty ? "/" : path)' in '\(displayPath)'.")
        }
        var buffer = [CChar](repeating: 0, count: length + 1)
        _ = H5Lget_name_by_idx(
            group, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, length + 1, HDF5.defaultList)
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func describe(_ dataset: hid_t, path: String, name: String) throws(ContainerError)
        -> Entry
    {
        let shape = try datasetShape(dataset, name)
        let type = H5Dget_type(dataset)
        guard type >= 0 else {
            throw HDF5.failure(
                .corrupt, file: displayPath, tensor: name,
                "Could not read the type of dataset '\(name)' in '\(displayPath)'.")
        }
        defer { H5Tclose(type) }
        let tag = try stringAttribute(dataset, "dtype", owner: name)
        let dtype = try HDF5TypeMapping.dtype(
            type: type, tag: tag, tensor: name, file: displayPath)
        return Entry(name: name, path: path, dtype: dtype, shape: shape)
    }

    private func datasetShape(_ dataset: hid_t, _ name: String) throws(ContainerError) -> [Int] {
        let space = H5Dget_space(dataset)
        guard space >= 0 else {
            throw HDF5.failure(
                .corrupt, file: displayPath, tensor: name,
                "Could not read the shape of dataset '\(name)' in '\(displayPath)'.")
        }
        defer { H5Sclose(space) }
        switch H5Sget_simple_extent_type(space) {
        case H5S_SCALAR:
            return []
        case H5S_SIMPLE:
            let rank = Int(H5Sget_simple_extent_ndims(space))
            var dims = [hsize_t](repeating: 0, count: max(rank, 1))
            _ = H5Sget_simple_extent_dims(space, &dims, nil)
            let shape = dims.prefix(rank).map { Int(clamping: $0) }
            guard ShapeMath.byteCount(shape, width: 8) != nil else {
                throw ContainerError(
                    .corrupt, file: displayPath, tensor: name,
                    "Dataset '\(name)' in '\(displayPath)' has an impossible shape \(shape).")
            }
            return shape
        default:
            throw ContainerError(
                .unsupportedType, file: displayPath, tensor: name,
                "Dataset '\(name)' in '\(displayPath)' has an empty (null) dataspace.")
        }
    }

    private func readConfig() throws(ContainerError) -> JSONValue? {
        guard let text = try stringAttribute(fileID, "config", owner: nil) else { return nil }
        do {
            return try JSONValue.parse(text)
        } catch {
            throw ContainerError(
                .corrupt, file: displayPath,
                "The config attribute of '\(displayPath)' is not valid JSON: \(error).")
        }
    }

    /// The string attribute `name` of `object`, or nil when there is none.
    private func stringAttribute(
        _ object: hid_t, _ name: String, owner: String?
    ) throws(ContainerError) -> String? {
        let what = owner.map { "dataset '\($0)'" } ?? "the root group"
        guard H5Aexists(object, name) > 0 else {
            _ = HDF5.takeErrorStack()
            return nil
        }
        let attribute = H5Aopen(object, name, HDF5.defaultList)
        guard attribute >= 0 else {
            throw HDF5.failure(
                .corrupt, file: displayPath, tensor: owner,
                "Could not open attribute '\(name)' of \(what) in '\(displayPath)'.")
        }
        defer { H5Aclose(attribute) }
        guard let text = HDF5Strings.read(attribute) else {
            throw HDF5.failure(
                .corrupt, file: displayPath, tensor: owner,
                "Attribute '\(name)' of \(what) in '\(displayPath)' is not a string.")
        }
        return text
    }
}
