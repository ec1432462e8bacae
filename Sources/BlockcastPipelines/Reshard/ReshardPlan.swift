import BlockcastContainers
import BlockcastFormats
import BlockcastModel

/// Which tensor goes where, in which shape, for one `reshard` run — decided from names,
/// dtypes and shapes alone (sharding.md, "Splitting"), so a dry run never reads tensor data.
///
/// ``tensors`` is in stream order: every tensor that lands on all ranks first (input order),
/// then the routed experts grouped by rank, so rank files complete one after another and an
/// interrupted run keeps the finished ones for `--resume`.
package struct ReshardPlan: Sendable {
    /// The number of ranks.
    package let worldSize: Int
    /// The tensors written, in stream order.
    package let tensors: [PlannedTensor]
    /// Multi-token-prediction tensors left out (empty with `--keep-mtp`).
    package let leftOut: [TensorInfo]
    /// FP8 weights whose slices cut 128-blocks (re-quantized when the options allow).
    package let misalignments: [Misalignment]
    /// The routed expert count the plan used (nil when the input has no routed experts).
    package let expertCount: Int?
    /// The number of main blocks the plan used to tell MTP layers apart (nil: unknown).
    package let layerCount: Int?
    /// World sizes up to ``largestWorldSizeConsidered`` at which this input splits with no
    /// indivisible dimension and no misaligned FP8 block.
    package let cleanWorldSizes: [Int]

    /// The largest world size the plan suggests as an alternative.
    package static let largestWorldSizeConsidered = 1024

    /// Bytes of tensor data each rank file holds.
    package var bytesPerRank: [Int] {
        var bytes = [Int](repeating: 0, count: worldSize)
        for tensor in tensors {
            for piece in tensor.pieces { bytes[piece.rank] += piece.byteCount }
        }
        return bytes
    }

    /// The pieces of each rank, in stream order.
    package var piecesPerRank: [[RankPiece]] {
        var ranks = [[RankPiece]](repeating: [], count: worldSize)
        for tensor in tensors {
            for piece in tensor.pieces { ranks[piece.rank].append(piece) }
        }
        return ranks
    }
}

/// One input tensor and the pieces it becomes.
package struct PlannedTensor: Sendable {
    /// How the pieces are made from the input tensor.
    package enum Method: Sendable, Hashable {
        /// The whole tensor, unchanged, to each piece's rank (replicated or routed expert).
        case copy
        /// Piece `k` is the contiguous range `pieces[k].range` along `dimension`.
        case slice(dimension: Int)
        /// An FP8 weight whose slices cut blocks: each rank's slice is dequantized with the
        /// scale at `scale` (an index into ``ReshardPlan/tensors``) and quantized afresh.
        case requantize(dimension: Int, scale: Int)
        /// The scale of a re-quantized weight (at index `weight`); its pieces are produced
        /// together with the weight's.
        case requantizedScale(weight: Int)
    }

    /// The tensor's index in the input's tensor list.
    package let sourceIndex: Int
    /// The tensor as the input stores it.
    package let source: TensorInfo
    /// Its name in both spellings, with its placement.
    package let name: TensorName
    /// How its pieces are made.
    package let method: Method
    /// Where it goes; one piece per rank that holds part or all of it.
    package let pieces: [RankPiece]
}

/// What one rank file gets of one tensor.
package struct RankPiece: Sendable, Hashable {
    /// The rank.
    package let rank: Int
    /// The tensor name in the rank file.
    package let name: String
    /// The element type in the rank file.
    package let dtype: DType
    /// The shape in the rank file.
    package let shape: [Int]
    /// The range along the split dimension of the input tensor (nil: the whole tensor, or a
    /// re-quantized slice whose range is on the weight).
    package let range: Range<Int>?

    /// Bytes of data.
    package var byteCount: Int { shape.reduce(dtype.byteWidth, *) }
}

/// An FP8 weight whose per-rank slice does not start on a 128-element block boundary.
package struct Misalignment: Sendable, Hashable {
    /// The weight as the input names it.
    package let tensor: String
    /// Its shape.
    package let shape: [Int]
    /// The split dimension.
    package let dimension: Int
    /// The slice each rank would get along ``dimension``.
    package let sliceSize: Int
    /// World sizes (up to the plan's limit) at which this weight's slices are block-aligned.
    package let alignedWorldSizes: [Int]

    /// `'<name>' [18432, 7168], dim 0: 576 per rank is 4.5 blocks of 128; aligned at …`.
    package var summary: String {
        let blocks = Double(sliceSize) / 128
        let sizes = alignedWorldSizes.map(String.init).joined(separator: ", ")
        return "'\(tensor)' \(shape), dim \(dimension): \(sliceSize) per rank is "
            + "\(blocks.formatted(maxFractionDigits: 3)) blocks of 128; world sizes that align "
            + "it: \(sizes)"
    }
}

extension Double {
    /// The number with at most `digits` fraction digits and no trailing zeros.
    fileprivate func formatted(maxFractionDigits digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (self * scale).rounded() / scale
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        return String(rounded)
    }
}
