import BlockcastContainers
import BlockcastFormats
import Foundation

/// A small seeded generator (SplitMix64), so fixtures and fuzz cases are reproducible.
public struct FixtureRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Tensors and files for container tests.
public enum ContainerFixtures {
    /// A tensor of `dtype` and `shape` whose bytes are random bit patterns (NaNs and
    /// infinities included, so round trips are checked bit for bit), except `BOOL`, which
    /// holds only 0 and 1.
    public static func tensor(_ dtype: DType, shape: [Int], seed: UInt64) -> Tensor {
        var random = FixtureRandom(seed: seed)
        let count = shape.reduce(1, *) * dtype.byteWidth
        let bytes = (0..<count).map { _ in
            dtype == .bool ? UInt8(random.next() & 1) : UInt8(truncatingIfNeeded: random.next())
        }
        return Tensor(dtype: dtype, shape: shape, bytes: bytes)
    }

    /// One small tensor of every dtype, named after it (`t.F32`, `t.BF16`, …), with varied
    /// shapes including a scalar and an empty tensor.
    public static func everyDType(seed: UInt64 = 1) -> [(name: String, tensor: Tensor)] {
        var result: [(String, Tensor)] = []
        for (i, dtype) in DType.allCases.enumerated() {
            let shape = [[3, 5], [7], [2, 3, 4], [1, 9]][i % 4]
            result.append(
                (
                    "model.layers.\(i).\(dtype.hdf5AttributeName).weight",
                    tensor(dtype, shape: shape, seed: seed &+ UInt64(i))
                ))
        }
        result.append(("model.scalar", tensor(.float32, shape: [], seed: seed &+ 100)))
        result.append(("model.empty", tensor(.float32, shape: [0, 4], seed: seed &+ 101)))
        return result
    }

    /// The bytes of a safetensors file with the given JSON header text and data area.
    public static func safetensors(header: String, data: [UInt8]) -> [UInt8] {
        let json = Array(header.utf8)
        var bytes = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) }
        bytes += json
        bytes += data
        return bytes
    }

    /// A fresh empty directory under the system temporary directory.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("blockcast-containers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Lower-case hex of `bytes` (how test scripts hand bytes back).
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
