import Foundation

/// How a directory of files becomes one checkpoint, and the files that describe it.
enum CheckpointLayout {
    /// The index Hugging Face uses for multi-file safetensors checkpoints.
    static let indexName = "model.safetensors.index.json"
    /// The config file beside the weights.
    static let configName = "config.json"

    /// Opens a directory per the order documented on ``Checkpoint``.
    static func openDirectory(_ directory: String) throws(ContainerError) -> Checkpoint {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw ContainerError(
                .fileNotFound, file: directory, "Could not list the directory '\(directory)'.")
        }
        let present = Set(names)

        if present.contains(Manifest.fileName) {
            let manifest = try Manifest.load(directory: directory)
            try requireFiles(manifest.files, in: present, listedBy: Manifest.fileName, directory)
            return try Checkpoint.assemble(
                root: directory, files: manifest.files,
                worldSize: rankSet(manifest.files)?.worldSize, index: nil,
                displayRoot: directory)
        }
        if present.contains(indexName) {
            let weightMap = try readIndex(directory)
            let files = Array(Set(weightMap.values)).sorted()
            try requireFiles(files, in: present, listedBy: indexName, directory)
            return try Checkpoint.assemble(
                root: directory, files: files, worldSize: nil, index: weightMap,
                displayRoot: directory)
        }

        let safetensors = names.filter { $0.hasSuffix(".safetensors") }
        let hdf5 = names.filter { $0.hasSuffix(".h5") || $0.hasSuffix(".hdf5") }
        for files in [safetensors, hdf5] {
            if let ranks = rankSet(files) {
                return try Checkpoint.assemble(
                    root: directory, files: ranks.files, worldSize: ranks.worldSize, index: nil,
                    displayRoot: directory)
            }
        }
        if !safetensors.isEmpty && !hdf5.isEmpty {
            throw ContainerError(
                .notAContainer, file: directory,
                "The directory '\(directory)' holds both safetensors and HDF5 files and no "
                    + "index or manifest; open one file instead.")
        }
        let files = safetensors.isEmpty ? hdf5 : safetensors
        guard !files.isEmpty else {
            throw ContainerError(
                .notAContainer, file: directory,
                "The directory '\(directory)' holds no .safetensors, .h5 or .hdf5 files.")
        }
        return try Checkpoint.assemble(
            root: directory, files: files, worldSize: nil, index: nil, displayRoot: directory)
    }

    /// The rank files `model{r}-mp{n}` (`.safetensors`, `.h5` or `.hdf5`, one extension for
    /// all), if `names` hold exactly one complete set.
    static func rankSet(_ names: [String]) -> (files: [String], worldSize: Int)? {
        let extensions = [".safetensors", ".h5", ".hdf5"]
        guard let ext = extensions.first(where: { names.first?.hasSuffix($0) == true }) else {
            return nil
        }
        var byWorld: [Int: [Int: String]] = [:]
        for name in names {
            guard name.hasPrefix("model"), name.hasSuffix(ext) else { continue }
            let core = name.dropFirst(5).dropLast(ext.count)
            let parts = core.split(separator: "-mp", omittingEmptySubsequences: false)
            guard parts.count == 2, let rank = Int(parts[0]), let world = Int(parts[1]),
                rank >= 0, world > 0, rank < world, String(rank) == parts[0]
            else { continue }
            byWorld[world, default: [:]][rank] = name
        }
        guard byWorld.count == 1, let (world, ranks) = byWorld.first, ranks.count == world,
            names.count == world
        else { return nil }
        return ((0..<world).map { ranks[$0]! }, world)
    }

    private static func requireFiles(
        _ files: [String], in present: Set<String>, listedBy list: String, _ directory: String
    ) throws(ContainerError) {
        for file in files {
            guard isSafeRelativePath(file) else {
                throw ContainerError(
                    .corrupt, file: directory,
                    "'\(list)' in '\(directory)' names '\(file)', which is not a plain file name "
                        + "inside the directory.")
            }
            let exists =
                present.contains(file)
                || FileManager.default.fileExists(
                    atPath: (directory as NSString).appendingPathComponent(file))
            guard exists else {
                throw ContainerError(
                    .fileNotFound, file: directory,
                    "'\(list)' in '\(directory)' names '\(file)', which does not exist.")
            }
        }
    }

    /// Whether `path` is relative and stays inside the directory (no `..`, not absolute).
    static func isSafeRelativePath(_ path: String) -> Bool {
        !path.isEmpty && !path.hasPrefix("/")
            && !path.split(separator: "/").contains { $0 == ".." || $0 == "." }
    }

    /// The `weight_map` of `model.safetensors.index.json`: tensor name → file.
    static func readIndex(_ directory: String) throws(ContainerError) -> [String: String] {
        let path = (directory as NSString).appendingPathComponent(indexName)
        let json = try readJSON(path, what: "index")
        guard let map = json["weight_map"]?.objectValue else {
            throw ContainerError(
                .corrupt, file: path, "The index '\(path)' has no weight_map object.")
        }
        var weightMap: [String: String] = [:]
        for (name, value) in map {
            guard let file = value.stringValue else {
                throw ContainerError(
                    .corrupt, file: path, tensor: name,
                    "The index '\(path)' maps '\(name)' to something that is not a file name.")
            }
            weightMap[name] = file
        }
        return weightMap
    }

    /// Checks every tensor the index names is in the file it names.
    static func checkIndex(
        _ index: [String: String], against found: [String: String], root: String
    ) throws(ContainerError) {
        for (name, file) in index.sorted(by: { $0.key < $1.key }) where found[name] != file {
            throw ContainerError(
                .missingTensor, file: file, tensor: name,
                "'\(indexName)' in '\(root)' places tensor '\(name)' in '\(file)', which does "
                    + "not hold it.")
        }
    }

    /// `config.json` in `root`, if present.
    static func readConfigJSON(root: String) throws(ContainerError) -> JSONValue? {
        let path = (root as NSString).appendingPathComponent(configName)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try readJSON(path, what: "config")
    }

    /// Reads and parses a JSON file; `what` names it in errors.
    static func readJSON(_ path: String, what: String) throws(ContainerError) -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ContainerError(.fileNotFound, file: path, "Could not read the \(what) '\(path)'.")
        }
        do {
            return try JSONValue.parse([UInt8](data))
        } catch {
            throw ContainerError(
                .corrupt, file: path, "The \(what) '\(path)' is not valid JSON: \(error).")
        }
    }
}

/// Decides which container a file is.
enum ContainerSniffer {
    /// The eight bytes every HDF5 file starts with (at offset 0, 512, 1024, …).
    static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The format by extension (`.safetensors`, `.h5`, `.hdf5`), else by the HDF5 signature.
    static func format(of path: String, displayPath: String) throws(ContainerError)
        -> ContainerFormat
    {
        if path.hasSuffix(".safetensors") { return .safetensors }
        if path.hasSuffix(".h5") || path.hasSuffix(".hdf5") { return .hdf5 }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ContainerError(
                .fileNotFound, file: displayPath, "Could not open '\(displayPath)'.")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 8)) ?? nil
        return head.map([UInt8].init) == hdf5Signature ? .hdf5 : .safetensors
    }
}
