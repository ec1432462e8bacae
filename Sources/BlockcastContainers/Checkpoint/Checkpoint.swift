import BlockcastFormats
import Foundation

/// A checkpoint opened for reading: one file or a directory of files, HDF5 or safetensors.
///
/// Opening reads headers only: ``tensors`` lists every tensor's name, dtype, shape and file
/// without touching data, and ``read(_:)`` reads one tensor on demand (safetensors tensors are
/// views into a memory mapping; HDF5 tensors are read into owned memory). Nothing is cached,
/// so iterating over the tensors and dropping each after use keeps memory at one tensor.
///
/// A directory is resolved in this order: the files a `blockcast-manifest.json` lists; the
/// files `model.safetensors.index.json` maps to; a complete set of rank files
/// `model{r}-mp{n}.safetensors`; every `*.safetensors` file; every `*.h5`/`*.hdf5` file.
/// Tensor names must be unique across files, except between rank files, which hold the same
/// names by design (use ``ranks`` or ``read(_:)-(TensorInfo)`` for those).
///
/// Reading is safe from several threads at once.
public final class Checkpoint: @unchecked Sendable {
    /// The directory relative file names are resolved against (the file's folder for a file).
    public let root: String
    /// The container of the files.
    public let format: ContainerFormat
    /// Every tensor, ordered by file and then by position within the file.
    public let tensors: [TensorInfo]
    /// The checkpoint's files relative to ``root``, in order.
    public let files: [String]
    /// The model config: the HDF5 root attribute `config`, else `config.json` in ``root``.
    public let config: JSONValue?
    /// The safetensors `__metadata__` of all files merged (first file wins a conflict).
    public let metadata: [String: String]
    /// The tensor-parallel world size when the checkpoint is a set of rank files, else nil.
    public let worldSize: Int?

    private let sources: [TensorSource]
    private let byName: [String: [Int]]
    private let rankFiles: [String]

    private init(
        root: String, format: ContainerFormat, files: [String], sources: [TensorSource],
        infos: [TensorInfo], config: JSONValue?, metadata: [String: String], worldSize: Int?
    ) {
        self.root = root
        self.format = format
        self.files = files
        self.sources = sources
        self.tensors = infos
        self.config = config
        self.metadata = metadata
        self.worldSize = worldSize
        self.rankFiles = worldSize == nil ? [] : files
        var byName: [String: [Int]] = [:]
        for (index, info) in infos.enumerated() { byName[info.name, default: []].append(index) }
        self.byName = byName
    }

    /// Opens a checkpoint file (`.safetensors`, `.h5`, `.hdf5`, or sniffed) or directory.
    public static func open(_ path: String) throws(ContainerError) -> Checkpoint {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ContainerError(
                .fileNotFound, file: path,
                "Could not open '\(path)': No such file or directory.")
        }
        if isDirectory.boolValue {
            return try CheckpointLayout.openDirectory(path)
        }
        let url = URL(fileURLWithPath: path)
        let root = url.deletingLastPathComponent().path
        return try assemble(
            root: root, files: [url.lastPathComponent], worldSize: nil, index: nil,
            displayRoot: path)
    }

    /// The tensor named `name`, or nil; also nil when several rank files hold the name.
    public func info(_ name: String) -> TensorInfo? {
        guard let indices = byName[name], indices.count == 1 else { return nil }
        return tensors[indices[0]]
    }

    /// Whether a tensor named `name` exists (in any file).
    public func contains(_ name: String) -> Bool { byName[name] != nil }

    /// Reads the tensor named `name`.
    ///
    /// Throws ``ContainerError/Code/missingTensor`` when there is none, and
    /// ``ContainerError/Code/duplicateTensor`` when several rank files hold it.
    public func read(_ name: String) throws(ContainerError) -> Tensor {
        guard let indices = byName[name] else {
            throw ContainerError(
                .missingTensor, file: root, tensor: name,
                "Tensor '\(name)' is not in the checkpoint '\(root)'.")
        }
        guard indices.count == 1 else {
            let names = indices.map { tensors[$0].file }.joined(separator: ", ")
            throw ContainerError(
                .duplicateTensor, file: root, tensor: name,
                "Tensor '\(name)' is in several files of '\(root)' (\(names)); read it through "
                    + "a single rank.")
        }
        return try sources[indices[0]].read()
    }

    /// Reads the tensor `info` describes (by name and file), as listed in ``tensors``.
    public func read(_ info: TensorInfo) throws(ContainerError) -> Tensor {
        guard let index = byName[info.name]?.first(where: { tensors[$0].file == info.file })
        else {
            throw ContainerError(
                .missingTensor, file: info.file, tensor: info.name,
                "Tensor '\(info.name)' is not in '\(info.file)' of the checkpoint '\(root)'.")
        }
        return try sources[index].read()
    }

    /// For rank files, one single-file checkpoint per rank (rank order); otherwise empty.
    public func ranks() throws(ContainerError) -> [Checkpoint] {
        var result: [Checkpoint] = []
        for file in rankFiles {
            result.append(
                try Checkpoint.assemble(
                    root: root, files: [file], worldSize: nil, index: nil, displayRoot: root))
        }
        return result
    }

    /// Opens `files` (relative to `root`) as one checkpoint.
    ///
    /// `index` maps tensor names to the file the index says holds them; each must be there.
    static func assemble(
        root: String, files: [String], worldSize: Int?, index: [String: String]?,
        displayRoot: String
    ) throws(ContainerError) -> Checkpoint {
        var sources: [TensorSource] = []
        var infos: [TensorInfo] = []
        var formats = Set<ContainerFormat>()
        var config: JSONValue?
        var metadata: [String: String] = [:]
        var seen: [String: String] = [:]

        for file in files {
            let full = root.isEmpty ? file : (root as NSString).appendingPathComponent(file)
            let shown = files.count == 1 && worldSize == nil ? displayRoot : full
            let opened = try TensorSource.open(full, displayPath: shown)
            formats.insert(opened.format)
            if config == nil { config = opened.config }
            metadata.merge(opened.metadata) { first, _ in first }
            for (name, dtype, shape, source) in opened.tensors {
                if worldSize == nil, let other = seen[name] {
                    throw ContainerError(
                        .duplicateTensor, file: full, tensor: name,
                        "Tensor '\(name)' is in both '\(other)' and '\(file)' of '\(root)'.")
                }
                seen[name] = file
                infos.append(TensorInfo(name: name, dtype: dtype, shape: shape, file: file))
                sources.append(source)
            }
        }
        guard formats.count <= 1 else {
            throw ContainerError(
                .notAContainer, file: root,
                "The checkpoint '\(root)' mixes HDF5 and safetensors files.")
        }
        if let index {
            try CheckpointLayout.checkIndex(index, against: seen, root: root)
        }
        if config == nil {
            config = try CheckpointLayout.readConfigJSON(root: root)
        }
        return Checkpoint(
            root: root, format: formats.first ?? .safetensors, files: files, sources: sources,
            infos: infos, config: config, metadata: metadata, worldSize: worldSize)
    }
}

/// Where one tensor's bytes are, in an opened file.
struct TensorSource: @unchecked Sendable {
    private enum Backing {
        case safetensors(SafetensorsFile, SafetensorsHeader.Entry)
        case hdf5(HDF5File, HDF5File.Entry)
    }
    private let backing: Backing

    /// Reads (or maps) the tensor.
    func read() throws(ContainerError) -> Tensor {
        switch backing {
        case .safetensors(let file, let entry): return file.tensor(entry)
        case .hdf5(let file, let entry): return try file.read(entry)
        }
    }

    /// What opening one file yields.
    struct OpenedFile {
        let format: ContainerFormat
        let config: JSONValue?
        let metadata: [String: String]
        let tensors: [(String, DType, [Int], TensorSource)]
    }

    /// Opens one file, choosing the container by extension or, failing that, by content.
    static func open(_ path: String, displayPath: String) throws(ContainerError) -> OpenedFile {
        let format = try ContainerSniffer.format(of: path, displayPath: displayPath)
        switch format {
        case .safetensors:
            let file = try SafetensorsFile(path: path, displayPath: displayPath)
            let tensors = file.header.entries.map { entry in
                (
                    entry.name, entry.dtype, entry.shape,
                    TensorSource(backing: .safetensors(file, entry))
                )
            }
            return OpenedFile(
                format: .safetensors, config: nil, metadata: file.header.metadata,
                tensors: tensors)
        case .hdf5:
            let file = try HDF5File(path: path, displayPath: displayPath)
            let tensors = file.entries.map { entry in
                (entry.name, entry.dtype, entry.shape, TensorSource(backing: .hdf5(file, entry)))
            }
            return OpenedFile(format: .hdf5, config: file.config, metadata: [:], tensors: tensors)
        }
    }
}
