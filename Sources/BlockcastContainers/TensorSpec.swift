import BlockcastFormats

/// A tensor a writer is told about before its data exists: name, dtype, shape, and optionally
/// the file it must go to.
public struct TensorSpec: Sendable, Hashable {
    /// The dotted tensor name.
    public let name: String
    /// The element type.
    public let dtype: DType
    /// The dimensions.
    public let shape: [Int]
    /// The output file (relative to the checkpoint directory), or nil to let the writer choose.
    public let file: String?

    /// Creates a spec.
    public init(name: String, dtype: DType, shape: [Int], file: String? = nil) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.file = file
    }

    /// The spec of an existing tensor.
    public init(name: String, _ tensor: Tensor, file: String? = nil) {
        self.init(name: name, dtype: tensor.dtype, shape: tensor.shape, file: file)
    }

    /// The number of data bytes.
    public var byteCount: Int { shape.reduce(1, *) * dtype.byteWidth }
}
