import BlockcastFormats

/// The container a checkpoint file uses.
public enum ContainerFormat: String, Sendable, Hashable, CaseIterable, Codable {
    /// HDF5, through libhdf5 (`.h5`, `.hdf5`).
    case hdf5
    /// Hugging Face safetensors (`.safetensors`).
    case safetensors
}

/// What a checkpoint says about one tensor, known without reading its data.
public struct TensorInfo: Sendable, Hashable {
    /// The dotted tensor name (`model.layers.0.self_attn.q_a_proj.weight`).
    public let name: String
    /// The element type.
    public let dtype: DType
    /// The dimensions, outermost first; empty for a scalar.
    public let shape: [Int]
    /// The file holding the tensor, relative to the checkpoint's root.
    public let file: String

    /// Creates a description.
    public init(name: String, dtype: DType, shape: [Int], file: String) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.file = file
    }

    /// The number of elements (1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }

    /// The number of bytes the data occupies uncompressed.
    public var byteCount: Int { elementCount * dtype.byteWidth }
}

/// Element counts with overflow checks, for shapes that come from untrusted files.
enum ShapeMath {
    /// The product of `shape` times `width`, or nil when a dimension is negative or it
    /// overflows.
    static func byteCount(_ shape: [Int], width: Int) -> Int? {
        var total = width
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            total = product
        }
        return total
    }
}
