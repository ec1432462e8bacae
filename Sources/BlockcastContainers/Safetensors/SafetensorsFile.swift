/// One safetensors file opened for reading through a memory mapping.
final class SafetensorsFile: @unchecked Sendable {
    /// The mapping of the whole file.
    let mapping: MappedFile
    /// The validated header.
    let header: SafetensorsHeader

    /// Maps and validates `path`; `displayPath` names it in errors.
    init(path: String, displayPath: String) throws(ContainerError) {
        mapping = try MappedFile(path: path, displayPath: displayPath)
        header = try SafetensorsHeader.parse(mapping.bytes, file: displayPath)
    }

    /// The tensor of `entry`, a view into the mapping (no bytes are read until used).
    func tensor(_ entry: SafetensorsHeader.Entry) -> Tensor {
        let start = header.dataStart + entry.range.lowerBound
        let end = header.dataStart + entry.range.upperBound
        return Tensor(dtype: entry.dtype, shape: entry.shape, mapped: mapping, range: start..<end)
    }
}
