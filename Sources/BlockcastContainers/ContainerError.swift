/// A failure to read or write a checkpoint container, naming the file and the tensor.
///
/// Every error that bad input can cause in this module is one of these. ``message`` is a full
/// sentence meant for people; ``code`` is for programs; ``cause`` holds the detail a C library
/// reported (HDF5's error stack, zstd's error name), if any.
public struct ContainerError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public enum Code: String, Sendable, Hashable {
        /// A file or directory does not exist or cannot be opened.
        case fileNotFound
        /// A file is not of the container it should be (not HDF5, no safetensors header).
        case notAContainer
        /// A file's structure is damaged or hostile: bad header, truncation, bad offsets.
        case corrupt
        /// A tensor's element type cannot be represented or is not supported here.
        case unsupportedType
        /// A tensor's bytes disagree with its dtype and shape.
        case shapeMismatch
        /// A tensor that was asked for is not in the checkpoint.
        case missingTensor
        /// Two tensors have the same name.
        case duplicateTensor
        /// A tensor's checksum does not match the manifest.
        case checksumMismatch
        /// Reading or writing failed at the operating-system level.
        case io
        /// The HDF5 library reported a failure.
        case hdf5
        /// Zstandard compression or decompression failed.
        case compression
        /// A writer was used against its contract (unknown tensor, written twice, missing).
        case invalidUse
    }

    /// What kind of failure this is.
    public let code: Code
    /// The file involved, as given by the caller, if any.
    public let file: String?
    /// The tensor involved, if any.
    public let tensor: String?
    /// The full sentence describing what was expected and what was found.
    public let message: String
    /// Detail reported by a C library, if any.
    public let cause: String?

    /// Creates an error; `message` should name `file` and `tensor` when they are known.
    public init(
        _ code: Code, file: String? = nil, tensor: String? = nil, _ message: String,
        cause: String? = nil
    ) {
        self.code = code
        self.file = file
        self.tensor = tensor
        self.message = message
        self.cause = cause
    }

    /// The message, followed by the library detail in parentheses when there is one.
    public var description: String {
        guard let cause, !cause.isEmpty else { return message }
        return "\(message) (\(cause))"
    }
}
