/// Everything that can stop a forward pass from being built or run: a config that does not
/// describe a valid model, weights that do not match it, or tokens the model cannot take.
public enum ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A config lacks a key that has no default, e.g. neither `dim` nor `hidden_size`.
    case missingKey(String)
    /// A config key holds a value of the wrong type or outside its range, e.g.
    /// `n_heads: 0` or `score_func: "relu"`.
    case invalidValue(key: String, value: String, reason: String)
    /// A config file could not be read or is not a JSON object.
    case unreadableConfig(path: String, reason: String)
    /// A tensor the config implies is not in the checkpoint.
    case missingTensor(name: String, expectedShape: [Int])
    /// A tensor exists with a different shape from the one the config implies.
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    /// A tensor exists with an element type the model cannot use for it.
    case dtypeMismatch(name: String, expected: String, found: String)
    /// A tensor could not be read from its container.
    case unreadableTensor(name: String, reason: String)
    /// A sequence is longer than `max_seq_len` allows.
    case sequenceTooLong(sequence: Int, length: Int, maximum: Int)
    /// A sequence is empty.
    case emptySequence(sequence: Int)
    /// A token id lies outside `0 ..< vocab_size`.
    case tokenOutOfRange(sequence: Int, position: Int, token: Int, vocabularySize: Int)
    /// The weights cannot run on the requested path, e.g. `fp8-gemm` without FP8 weights.
    case unsupportedPath(path: String, reason: String)
    /// A world size does not divide a dimension that tensor parallelism splits.
    case invalidWorldSize(worldSize: Int, reason: String)

    /// A one-line message that names the key, tensor or token and what was expected.
    public var description: String {
        switch self {
        case .missingKey(let key):
            "The model config has no '\(key)'."
        case .invalidValue(let key, let value, let reason):
            "The model config's '\(key)' is \(value): \(reason)."
        case .unreadableConfig(let path, let reason):
            "Unable to read the model config '\(path)': \(reason)."
        case .missingTensor(let name, let shape):
            "The checkpoint has no tensor '\(name)' (expected shape \(shape))."
        case .shapeMismatch(let name, let expected, let found):
            "Tensor '\(name)' has shape \(found); the config implies \(expected)."
        case .dtypeMismatch(let name, let expected, let found):
            "Tensor '\(name)' is \(found); expected \(expected)."
        case .unreadableTensor(let name, let reason):
            "Unable to read tensor '\(name)': \(reason)."
        case .sequenceTooLong(let sequence, let length, let maximum):
            "Sequence \(sequence) has \(length) tokens; max_seq_len is \(maximum)."
        case .emptySequence(let sequence):
            "Sequence \(sequence) has no tokens."
        case .tokenOutOfRange(let sequence, let position, let token, let vocabularySize):
            "Token \(token) at position \(position) of sequence \(sequence) is outside the "
                + "vocabulary 0..<\(vocabularySize)."
        case .unsupportedPath(let path, let reason):
            "The model cannot run the \(path) path: \(reason)."
        case .invalidWorldSize(let worldSize, let reason):
            "World size \(worldSize) cannot split this model: \(reason)."
        }
    }
}
