import BlockcastContainers
import BlockcastFormats
import Foundation

/// The safetensors file `blockcast run` writes and `verify --reference-logits` reads: the
/// logits of every position and the tokens they came from.
///
/// | tensor | dtype | shape |
/// |---|---|---|
/// | `logits` | F32 | `[sequences, positions, vocab]` |
/// | `tokens` | I64 | `[sequences, positions]` |
///
/// The `__metadata__` records the checkpoint, the path and the tool. Any float32 3-D tensor
/// can serve as a reference (a file another runtime wrote), named with `--reference-tensor`.
public enum LogitsFile {
    /// The name of the logits tensor `run` writes.
    public static let logitsTensor = "logits"
    /// The name of the token tensor `run` writes.
    public static let tokensTensor = "tokens"

    /// What a logits file holds.
    public struct Contents: Sendable {
        /// The logits of each sequence, `[positions · vocab]`.
        public var logits: [[Float]]
        /// The vocabulary size.
        public var vocabularySize: Int
        /// The tokens, when the file records them.
        public var tokens: [[Int]]?
    }

    /// Writes `logits` (one `[positions · vocab]` array per sequence, all the same length) with
    /// their tokens to `path`, through a temporary file renamed into place.
    public static func write(
        logits: [[Float]], tokens: [[Int]], vocabularySize: Int, to path: String,
        metadata: [String: String]
    ) throws {
        precondition(logits.count == tokens.count && !tokens.isEmpty)
        let positions = tokens[0].count
        precondition(tokens.allSatisfy { $0.count == positions })

        var flat: [Float] = []
        flat.reserveCapacity(logits.count * positions * vocabularySize)
        for sequence in logits { flat += sequence }
        let logitsTensor = Tensor(floats: flat, shape: [logits.count, positions, vocabularySize])

        var ids: [UInt8] = []
        ids.reserveCapacity(tokens.count * positions * 8)
        for id in tokens.joined() {
            withUnsafeBytes(of: Int64(id).littleEndian) { ids += $0 }
        }
        let tokensTensor = Tensor(dtype: .int64, shape: [tokens.count, positions], bytes: ids)
        try SafetensorsWriter.write(
            [(Self.logitsTensor, logitsTensor), (Self.tokensTensor, tokensTensor)], to: path,
            metadata: metadata)
    }

    /// Reads the float32 `[sequences, positions, vocab]` tensor `tensor` and, if present, the
    /// `tokens` tensor.
    /// - Throws: ``VerifyError`` (`invalidReferenceLogits`) naming the file and the problem.
    public static func read(_ path: String, tensor: String) throws(VerifyError) -> Contents {
        func fail(_ message: String) -> VerifyError {
            VerifyError(.invalidReferenceLogits, "reference logits '\(path)': \(message)")
        }

        let file: Checkpoint
        do {
            file = try Checkpoint.open(path)
        } catch {
            throw fail(error.description)
        }
        guard let info = file.info(tensor) else {
            let names = file.tensors.map(\.name).joined(separator: ", ")
            throw fail("no tensor '\(tensor)' (the file holds: \(names))")
        }
        guard info.dtype == .float32, info.shape.count == 3, !info.shape.contains(0) else {
            throw fail(
                "tensor '\(tensor)' is \(info.dtype.rawValue) \(info.shape); expected F32 "
                    + "[sequences, positions, vocab]")
        }

        let (sequences, positions, vocabulary) = (info.shape[0], info.shape[1], info.shape[2])
        let values: [Float]
        do {
            values = try file.read(tensor).floats()
        } catch {
            throw fail(error.description)
        }
        let row = positions * vocabulary
        let logits = (0..<sequences).map { Array(values[($0 * row)..<(($0 + 1) * row)]) }

        var tokens: [[Int]]?
        if tensor == logitsTensor, let tokenInfo = file.info(tokensTensor) {
            guard tokenInfo.dtype == .int64, tokenInfo.shape == [sequences, positions] else {
                throw fail(
                    "tensor '\(tokensTensor)' is \(tokenInfo.dtype.rawValue) \(tokenInfo.shape); "
                        + "expected I64 [\(sequences), \(positions)]")
            }
            let bytes: [UInt8]
            do {
                bytes = try file.read(tokensTensor).bytes
            } catch {
                throw fail(error.description)
            }
            let ids = stride(from: 0, to: bytes.count, by: 8).map { offset in
                var value: Int64 = 0
                for k in 0..<8 { value |= Int64(bytes[offset + k]) << (8 * k) }
                return Int(value)
            }
            tokens = (0..<sequences).map { Array(ids[($0 * positions)..<(($0 + 1) * positions)]) }
        }
        return Contents(logits: logits, vocabularySize: vocabulary, tokens: tokens)
    }
}
