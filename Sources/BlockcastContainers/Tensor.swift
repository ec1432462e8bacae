import BlockcastFormats

#if canImport(Glibc)
    import Glibc
#endif

/// One tensor's data: raw little-endian bytes with their element type and shape.
///
/// The bytes are either owned or a view into a memory-mapped file; a view keeps its mapping
/// alive and, when the last copy of the tensor goes away, hands its pages back to the kernel.
/// Tensors are immutable values and safe to share across threads.
public struct Tensor: Sendable {
    /// The element type.
    public let dtype: DType
    /// The dimensions, outermost first; empty for a scalar.
    public let shape: [Int]
    private let storage: TensorStorage

    /// A tensor over `bytes`, which must hold exactly `shape`'s elements of `dtype`.
    public init(dtype: DType, shape: [Int], bytes: [UInt8]) {
        let expected = ShapeMath.byteCount(shape, width: dtype.byteWidth)
        precondition(
            expected == bytes.count,
            "\(bytes.count) bytes do not hold a \(dtype.rawValue) tensor of shape \(shape)")
        self.dtype = dtype
        self.shape = shape
        self.storage = TensorStorage(copying: bytes)
    }

    /// A float32 tensor holding `floats`, which must have `shape`'s element count.
    public init(floats: [Float], shape: [Int]) {
        precondition(
            ShapeMath.byteCount(shape, width: 1) == floats.count,
            "\(floats.count) floats do not fill shape \(shape)")
        self.dtype = .float32
        self.shape = shape
        self.storage = floats.withUnsafeBytes { TensorStorage(copying: $0) }
    }

    /// A tensor whose bytes `body` writes into a fresh, 64-byte aligned buffer of exactly
    /// `byteCount` bytes (kernels write their output in place this way, without a copy).
    public init<E: Error>(
        dtype: DType, shape: [Int],
        initializingWith body: (UnsafeMutableRawBufferPointer) throws(E) -> Void
    ) throws(E) {
        guard let count = ShapeMath.byteCount(shape, width: dtype.byteWidth) else {
            preconditionFailure("invalid shape \(shape)")
        }
        self.dtype = dtype
        self.shape = shape
        let storage = TensorStorage(allocating: count)
        try body(storage.mutableBytes)
        self.storage = storage
    }

    /// Like ``init(dtype:shape:initializingWith:)``, but a buffer that cannot be allocated
    /// (a damaged file claiming an enormous shape) is an error instead of a crash.
    init(
        dtype: DType, shape: [Int], file: String, tensor: String,
        fallibleInitializingWith body: (UnsafeMutableRawBufferPointer) throws(ContainerError)
            -> Void
    ) throws(ContainerError) {
        guard let count = ShapeMath.byteCount(shape, width: dtype.byteWidth),
            let storage = TensorStorage(tryAllocating: count)
        else {
            throw ContainerError(
                .corrupt, file: file, tensor: tensor,
                "Tensor '\(tensor)' in '\(file)' claims shape \(shape), more memory than can be "
                    + "allocated.")
        }
        self.dtype = dtype
        self.shape = shape
        try body(storage.mutableBytes)
        self.storage = storage
    }

    /// A view of `range` in a mapped file; the caller has checked the size.
    init(dtype: DType, shape: [Int], mapped file: MappedFile, range: Range<Int>) {
        self.dtype = dtype
        self.shape = shape
        self.storage = TensorStorage(mapped: file, range: range)
    }

    /// The number of elements (1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }

    /// The number of bytes of data.
    public var byteCount: Int { storage.bytes.count }

    /// Calls `body` with the raw little-endian bytes (not necessarily aligned when mapped).
    public func withUnsafeBytes<R, E: Error>(
        _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        defer { withExtendedLifetime(storage) {} }
        return try body(storage.bytes)
    }

    /// A copy of the raw bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
}

extension Tensor: Equatable {
    /// Same dtype, same shape, same bytes.
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.dtype == rhs.dtype, lhs.shape == rhs.shape else { return false }
        return lhs.withUnsafeBytes { a in
            rhs.withUnsafeBytes { b in
                a.count == b.count
                    && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
            }
        }
    }
}

/// Where a tensor's bytes live.
private final class TensorStorage: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    private let mapping: MappedFile?
    private let range: Range<Int>

    /// An owned, 64-byte aligned buffer of `count` bytes (recycled through ``BufferPool``).
    convenience init(allocating count: Int) {
        guard let pointer = TensorStorage.allocate(count) else {
            fatalError("out of memory allocating \(count) bytes for a tensor")
        }
        self.init(owning: pointer, count: count)
    }

    /// An owned buffer, or nil when the system cannot provide that much memory.
    convenience init?(tryAllocating count: Int) {
        guard let pointer = TensorStorage.allocate(count) else { return nil }
        self.init(owning: pointer, count: count)
    }

    private init(owning pointer: UnsafeMutableRawPointer, count: Int) {
        bytes = UnsafeRawBufferPointer(start: pointer, count: count)
        mapping = nil
        range = 0..<count
    }

    private static func allocate(_ count: Int) -> UnsafeMutableRawPointer? {
        if let recycled = BufferPool.shared.take(count) { return recycled }
        var pointer: UnsafeMutableRawPointer?
        guard posix_memalign(&pointer, 64, max(count, 1)) == 0 else { return nil }
        return pointer
    }

    convenience init(copying source: some Collection<UInt8>) {
        self.init(allocating: source.count)
        mutableBytes.copyBytes(from: source)
    }

    convenience init(copying source: UnsafeRawBufferPointer) {
        self.init(allocating: source.count)
        if source.count > 0 {
            mutableBytes.copyMemory(from: source)
        }
    }

    init(mapped file: MappedFile, range: Range<Int>) {
        bytes = UnsafeRawBufferPointer(rebasing: file.bytes[range])
        mapping = file
        self.range = range
    }

    /// The owned buffer, writable (only used before the tensor is published).
    var mutableBytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(mutating: bytes)
    }

    deinit {
        if let mapping {
            mapping.release(range)
        } else if let base = bytes.baseAddress {
            BufferPool.shared.give(UnsafeMutableRawPointer(mutating: base), count: bytes.count)
        }
    }
}
