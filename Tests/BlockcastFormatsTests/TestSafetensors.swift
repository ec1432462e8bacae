import Foundation

/// A minimal safetensors reader for the golden tests of this target only.
///
/// The real container code lives in BlockcastContainers, which this target must not depend on
/// for its own golden checks; this reads just enough: an 8-byte little-endian header length, a
/// JSON header of `{name: {dtype, shape, data_offsets}}`, then the data.
struct TestSafetensors {
    /// One tensor's header entry.
    struct Entry {
        var dtype: String
        var shape: [Int]
        var range: Range<Int>
    }

    let entries: [String: Entry]
    private let data: Data
    private let dataStart: Int

    init(contentsOf url: URL) throws {
        data = try Data(contentsOf: url)
        let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.1) << (8 * $1.0) }
        dataStart = 8 + headerLength
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<dataStart))
        var entries: [String: Entry] = [:]
        for case (let name, let value as [String: Any]) in header as? [String: Any] ?? [:] {
            guard let dtype = value["dtype"] as? String, let shape = value["shape"] as? [Int],
                let offsets = value["data_offsets"] as? [Int], offsets.count == 2
            else { continue }
            entries[name] = Entry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
        }
        self.entries = entries
    }

    /// The raw bytes of `name`.
    func bytes(_ name: String) -> [UInt8] {
        guard let entry = entries[name] else { return [] }
        let start = dataStart + entry.range.lowerBound
        return [UInt8](
            data[(data.startIndex + start)..<(data.startIndex + start + entry.range.count)])
    }

    /// The float32 elements of `name` (little-endian).
    func floats(_ name: String) -> [Float] {
        let raw = bytes(name)
        return (0..<(raw.count / 4)).map { i in
            let bits = (0..<4).reduce(UInt32(0)) { $0 | UInt32(raw[4 * i + $1]) << (8 * $1) }
            return Float(bitPattern: bits)
        }
    }
}
