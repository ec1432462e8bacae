import Foundation

extension Checkpoint {
    /// Compares every tensor with `blockcast-manifest.json` in ``root``; throws the first
    /// difference, naming the tensor and its file.
    ///
    /// Reads each tensor once, one at a time.
    public func check() throws(ContainerError) {
        if let first = try checkAll().first { throw first }
    }

    /// Every difference between the checkpoint and its manifest (empty when it matches).
    ///
    /// Throws only when the manifest itself cannot be read.
    public func checkAll() throws(ContainerError) -> [ContainerError] {
        let manifest = try Manifest.load(directory: root)
        let checked = Set(files)
        var problems: [ContainerError] = []
        var listed = Set<String>()

        for entry in manifest.entries where checked.contains(entry.file) {
            listed.insert(entry.file + "\u{0}" + entry.name)
            let info = TensorInfo(
                name: entry.name, dtype: entry.dtype, shape: entry.shape, file: entry.file)
            guard
                let found = tensors.first(where: { $0.name == entry.name && $0.file == entry.file })
            else {
                problems.append(
                    ContainerError(
                        .missingTensor, file: entry.file, tensor: entry.name,
                        "Tensor '\(entry.name)' listed in the manifest is missing from "
                            + "'\(entry.file)'."))
                continue
            }
            guard found.dtype == entry.dtype, found.shape == entry.shape else {
                problems.append(
                    ContainerError(
                        .shapeMismatch, file: entry.file, tensor: entry.name,
                        "Tensor '\(entry.name)' in '\(entry.file)' is \(found.dtype.rawValue) "
                            + "\(found.shape), but the manifest says \(entry.dtype.rawValue) "
                            + "\(entry.shape)."))
                continue
            }
            do {
                let checksum = XXHash64.hash(try read(info))
                if checksum != entry.checksum {
                    problems.append(
                        ContainerError(
                            .checksumMismatch, file: entry.file, tensor: entry.name,
                            "Tensor '\(entry.name)' in '\(entry.file)' is damaged: its xxh64 is "
                                + "\(XXHash64.hex(checksum)), the manifest says "
                                + "\(XXHash64.hex(entry.checksum))."))
                }
            } catch {
                problems.append(error)
            }
        }
        for info in tensors where !listed.contains(info.file + "\u{0}" + info.name) {
            problems.append(
                ContainerError(
                    .missingTensor, file: info.file, tensor: info.name,
                    "Tensor '\(info.name)' in '\(info.file)' is not in the manifest."))
        }
        return problems
    }
}
