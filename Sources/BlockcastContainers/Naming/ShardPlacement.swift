/// Where a tensor goes when a checkpoint is split over tensor-parallel ranks.
public enum ShardPlacement: Hashable, Sendable, CustomStringConvertible {
    /// Every rank gets an identical copy.
    case replicated
    /// Rank `r` of `n` gets the `r`-th of `n` equal contiguous slices along `dimension`
    /// (0: output rows, column-parallel; 1: input columns, row-parallel).
    case split(dimension: Int)
    /// A routed expert: the whole tensor goes to the one rank that holds expert `index`.
    case expert(index: Int)

    /// `replicated`, `dim 0`, `dim 1` or `expert 17`, as plans print it.
    public var description: String {
        switch self {
        case .replicated: "replicated"
        case .split(let dimension): "dim \(dimension)"
        case .expert(let index): "expert \(index)"
        }
    }

    /// The rank that holds expert `index` when `expertCount` experts are spread over
    /// `worldSize` ranks in contiguous runs (`index / (expertCount / worldSize)`).
    ///
    /// The caller has checked that `expertCount` divides by `worldSize`.
    public static func rank(ofExpert index: Int, expertCount: Int, worldSize: Int) -> Int {
        precondition(worldSize > 0 && expertCount % worldSize == 0, "experts do not divide")
        return index / (expertCount / worldSize)
    }
}
