import BlockcastFormats

/// Copies contiguous slices out of, and back into, row-major tensors along one dimension.
///
/// A tensor of shape `[d0, …, dk, …]` split on dimension `k` is `outer` runs of `size` slabs
/// of `inner` bytes each, with `outer = d0·…·d(k-1)` and `inner = d(k+1)·…·width`; a slice
/// of `k` is one contiguous byte range per run, which is what these kernels copy.
enum TensorSlicing {
    /// The layout of `shape` around `dimension`: runs, slabs per run, bytes per slab.
    static func layout(
        shape: [Int], dimension: Int, width: Int
    ) -> (outer: Int, size: Int, inner: Int) {
        let outer = shape[..<dimension].reduce(1, *)
        let inner = shape[(dimension + 1)...].reduce(width, *)
        return (outer, shape[dimension], inner)
    }

    /// Copies the slabs `range` along `dimension` of `source` into `destination`.
    static func extract(
        from source: UnsafeRawBufferPointer, shape: [Int], width: Int, dimension: Int,
        range: Range<Int>, into destination: UnsafeMutableRawBufferPointer
    ) {
        let (outer, size, inner) = layout(shape: shape, dimension: dimension, width: width)
        let run = range.count * inner
        precondition(destination.count == outer * run, "slice buffer has the wrong size")
        guard run > 0, let from = source.baseAddress, let to = destination.baseAddress else {
            return
        }
        for index in 0..<outer {
            let start = (index * size + range.lowerBound) * inner
            (to + index * run).copyMemory(from: from + start, byteCount: run)
        }
    }

    /// The byte range of slice `range` when it is contiguous (splits on the outermost
    /// non-trivial dimension), else nil.
    static func contiguousRange(
        shape: [Int], width: Int, dimension: Int, range: Range<Int>
    ) -> Range<Int>? {
        let (outer, _, inner) = layout(shape: shape, dimension: dimension, width: width)
        guard outer == 1 else { return nil }
        return (range.lowerBound * inner)..<(range.upperBound * inner)
    }

    /// Writes `piece`, holding slabs `range` along `dimension`, into its place in
    /// `destination`, a tensor of shape `shape`.
    static func insert(
        _ piece: UnsafeRawBufferPointer, shape: [Int], width: Int, dimension: Int,
        range: Range<Int>, into destination: UnsafeMutableRawBufferPointer
    ) {
        let (outer, size, inner) = layout(shape: shape, dimension: dimension, width: width)
        let run = range.count * inner
        precondition(piece.count == outer * run, "piece has the wrong size")
        guard run > 0, let from = piece.baseAddress, let to = destination.baseAddress else {
            return
        }
        for index in 0..<outer {
            let start = (index * size + range.lowerBound) * inner
            (to + start).copyMemory(from: from + index * run, byteCount: run)
        }
    }
}
