import BlockcastFormats
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a checkpoint directory: data files, then the index and config, then the manifest.
///
/// The tensors are planned up front (name, dtype, shape, optionally file), so each file's
/// layout is fixed before any data exists and tensors can be written in any order, from any
/// thread, one in memory at a time. Every file is written under a temporary name and renamed
/// into place as soon as all its tensors are in; the manifest comes last, so a directory with a
/// manifest is complete. Opening the writer removes a manifest left from an earlier run.
public final class CheckpointWriter: @unchecked Sendable {
    /// How to lay out the output.
    public struct Options: Sendable {
        /// The container to write.
        public var format: ContainerFormat = .safetensors
        /// The stem of generated file names (`model.safetensors`, `model-00001-of-00003…`).
        public var baseName = "model"
        /// For safetensors: start a new file before one would exceed this many data bytes.
        public var maximumFileBytes: Int?
        /// For HDF5: the zstd level of every dataset, or nil for no compression.
        public var compressionLevel: Int?
        /// For safetensors: the `__metadata__` of every file.
        public var metadata: [String: String] = [:]
        /// The model config, written as `config.json` (and the HDF5 root attribute `config`).
        public var config: JSONValue?
        /// For multi-file safetensors with unique names: write `model.safetensors.index.json`.
        public var writeIndex = true

        /// Defaults: one safetensors file, no compression, no config.
        public init(
            format: ContainerFormat = .safetensors, baseName: String = "model",
            maximumFileBytes: Int? = nil, compressionLevel: Int? = nil,
            metadata: [String: String] = [:], config: JSONValue? = nil, writeIndex: Bool = true
        ) {
            self.format = format
            self.baseName = baseName
            self.maximumFileBytes = maximumFileBytes
            self.compressionLevel = compressionLevel
            self.metadata = metadata
            self.config = config
            self.writeIndex = writeIndex
        }
    }

    /// The output directory.
    public let directory: String
    /// The options in force.
    public let options: Options
    /// The files, in order, relative to ``directory``.
    public let files: [String]
    /// The plan with every tensor's file filled in.
    public let plan: [TensorSpec]

    private let mutex = Mutex()
    private let planIndex: [String: [Int]]
    private var states: [String: FileState] = [:]
    private var entries: [Key: Manifest.Entry] = [:]
    private var finished = false

    private struct Key: Hashable {
        let file: String
        let name: String
    }

    private final class FileState {
        let specs: [TensorSpec]
        var remaining: Int
        var safetensors: SafetensorsWriter?
        var hdf5: HDF5Writer?
        var done = false

        init(specs: [TensorSpec]) {
            self.specs = specs
            self.remaining = specs.count
        }
    }

    /// Prepares `directory` (created if missing) for the tensors of `plan`.
    public init(directory: String, plan: [TensorSpec], options: Options = Options())
        throws(ContainerError)
    {
        self.directory = directory
        self.options = options
        let assigned = try CheckpointWriter.assignFiles(plan, options, directory)
        self.plan = assigned
        var planIndex: [String: [Int]] = [:]
        for (index, spec) in assigned.enumerated() {
            planIndex[spec.name, default: []].append(index)
        }
        self.planIndex = planIndex
        var order: [String] = []
        var byFile: [String: [TensorSpec]] = [:]
        var keys = Set<Key>()
        for spec in assigned {
            let file = spec.file!
            if byFile[file] == nil { order.append(file) }
            byFile[file, default: []].append(spec)
            guard keys.insert(Key(file: file, name: spec.name)).inserted else {
                throw ContainerError(
                    .duplicateTensor, file: file, tensor: spec.name,
                    "Tensor '\(spec.name)' is planned twice for '\(file)'.")
            }
        }
        self.files = order
        for (file, specs) in byFile { states[file] = FileState(specs: specs) }

        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ContainerError(
                .io, file: directory, "Could not create the directory '\(directory)'.")
        }
        unlink(path(Manifest.fileName))
    }

    deinit {
        if !finished { abandon() }
    }

    private func path(_ file: String) -> String {
        (directory as NSString).appendingPathComponent(file)
    }

    /// Gives every spec a file: its own, or one chosen by the options.
    private static func assignFiles(
        _ plan: [TensorSpec], _ options: Options, _ directory: String
    ) throws(ContainerError) -> [TensorSpec] {
        let implicit = plan.filter { $0.file == nil }
        var generated: [String] = []
        switch options.format {
        case .hdf5:
            generated = Array(repeating: options.baseName + ".h5", count: implicit.count)
        case .safetensors:
            var group = 0
            var size = 0
            var groups: [Int] = []
            for spec in implicit {
                if let limit = options.maximumFileBytes, size > 0, size + spec.byteCount > limit {
                    group += 1
                    size = 0
                }
                size += spec.byteCount
                groups.append(group)
            }
            let count = group + 1
            generated = groups.map { index in
                count == 1
                    ? options.baseName + ".safetensors"
                    : options.baseName + "-" + pad(index + 1) + "-of-" + pad(count)
                        + ".safetensors"
            }
        }

        var next = 0
        var result: [TensorSpec] = []
        for spec in plan {
            if let file = spec.file {
                guard CheckpointLayout.isSafeRelativePath(file) else {
                    throw ContainerError(
                        .invalidUse, file: file, tensor: spec.name,
                        "'\(file)' is not a file name inside '\(directory)'.")
                }
                result.append(spec)
            } else {
                result.append(
                    TensorSpec(
                        name: spec.name, dtype: spec.dtype, shape: spec.shape,
                        file: generated[next]))
                next += 1
            }
        }
        return result
    }

    private static func pad(_ number: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    /// The file `name` goes to (the first one, if several rank files hold the name).
    public func file(for name: String) -> String? {
        planIndex[name].map { plan[$0[0]].file! }
    }

    /// Writes the data of tensor `name`; `file` is needed only when several files hold the
    /// name (rank files). A file is finished and renamed as soon as its last tensor is in.
    public func write(_ name: String, _ tensor: Tensor, file: String? = nil)
        throws(ContainerError)
    {
        mutex.lock()
        defer { mutex.unlock() }
        let candidates = (planIndex[name] ?? []).map { plan[$0] }.filter {
            file == nil || $0.file == file
        }
        guard let spec = candidates.first else {
            throw ContainerError(
                .invalidUse, file: file ?? directory, tensor: name,
                "Tensor '\(name)' was not planned for '\(directory)'.")
        }
        if file == nil, candidates.count > 1 {
            throw ContainerError(
                .invalidUse, file: directory, tensor: name,
                "Tensor '\(name)' is planned for several files of '\(directory)'; say which.")
        }
        let target = spec.file!
        let key = Key(file: target, name: name)
        guard entries[key] == nil else {
            throw ContainerError(
                .invalidUse, file: target, tensor: name,
                "Tensor '\(name)' was already written to '\(target)'.")
        }
        let state = states[target]!
        let checksum = try writeInto(state, target, name, tensor)
        entries[key] = Manifest.Entry(
            name: name, file: target, dtype: tensor.dtype, shape: tensor.shape,
            byteCount: tensor.byteCount, checksum: checksum)
        state.remaining -= 1
        if state.remaining == 0 {
            try state.safetensors?.finish()
            try state.hdf5?.finish()
            state.done = true
        }
    }

    /// Writes into the file's writer (created on first use) and returns the checksum.
    private func writeInto(_ state: FileState, _ file: String, _ name: String, _ tensor: Tensor)
        throws(ContainerError) -> UInt64
    {
        switch options.format {
        case .safetensors:
            if state.safetensors == nil {
                state.safetensors = try SafetensorsWriter(
                    path: path(file), tensors: state.specs, metadata: options.metadata)
            }
            return try state.safetensors!.write(name, tensor).checksum
        case .hdf5:
            if state.hdf5 == nil {
                state.hdf5 = try HDF5Writer(
                    path: path(file), compressionLevel: options.compressionLevel,
                    config: options.config)
            }
            let planned = plan[planIndex[name]!.first { plan[$0].file == file }!]
            guard planned.dtype == tensor.dtype, planned.shape == tensor.shape else {
                throw ContainerError(
                    .shapeMismatch, file: file, tensor: name,
                    "Tensor '\(name)' for '\(file)' was planned as \(planned.dtype.rawValue) "
                        + "\(planned.shape) but is \(tensor.dtype.rawValue) \(tensor.shape).")
            }
            return try state.hdf5!.write(name, tensor).checksum
        }
    }

    /// Checks everything planned was written, writes the index, config and manifest (last),
    /// and returns the manifest.
    @discardableResult
    public func finish() throws(ContainerError) -> Manifest {
        mutex.lock()
        defer { mutex.unlock() }
        for spec in plan where entries[Key(file: spec.file!, name: spec.name)] == nil {
            throw ContainerError(
                .invalidUse, file: spec.file, tensor: spec.name,
                "Tensor '\(spec.name)' was planned for '\(spec.file!)' but never written.")
        }
        for file in files where !states[file]!.done {
            // Only files with no tensors can still be open here.
            try finishEmpty(file)
        }

        let names = plan.map(\.name)
        let unique = Set(names).count == names.count
        if options.format == .safetensors, files.count > 1, options.writeIndex, unique {
            try writeIndex()
        }
        if let config = options.config {
            try AtomicFile.write(
                Array((config.prettySerialized() + "\n").utf8),
                to: path(CheckpointLayout.configName))
        }
        let manifest = Manifest(
            container: options.format, files: files,
            entries: plan.map { entries[Key(file: $0.file!, name: $0.name)]! })
        try manifest.write(directory: directory)
        finished = true
        return manifest
    }

    private func finishEmpty(_ file: String) throws(ContainerError) {
        let state = states[file]!
        switch options.format {
        case .safetensors:
            try SafetensorsWriter(path: path(file), tensors: [], metadata: options.metadata)
                .finish()
        case .hdf5:
            try HDF5Writer(
                path: path(file), compressionLevel: options.compressionLevel,
                config: options.config
            ).finish()
        }
        state.done = true
    }

    private func writeIndex() throws(ContainerError) {
        var weightMap: [String: JSONValue] = [:]
        for spec in plan { weightMap[spec.name] = .string(spec.file!) }
        let total = plan.reduce(0) { $0 + $1.byteCount }
        let index: JSONValue = [
            "metadata": ["total_size": .integer(total)], "weight_map": .object(weightMap),
        ]
        try AtomicFile.write(
            Array((index.prettySerialized() + "\n").utf8), to: path(CheckpointLayout.indexName))
    }

    /// Removes the temporary files of unfinished data files; finished files stay.
    public func abandon() {
        mutex.lock()
        defer { mutex.unlock() }
        for state in states.values where !state.done {
            state.safetensors?.abandon()
            state.hdf5?.abandon()
        }
        finished = true
    }
}
