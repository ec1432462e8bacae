/// A 2-D weight quantized to FP8 E4M3 in 128 × 128 tiles, with one dequantizing multiplier
/// (`scale_inv`) per tile.
public struct BlockQuantizedMatrix: Sendable {
    /// Rows of the weight (output features).
    public var rows: Int
    /// Columns of the weight (input features).
    public var columns: Int
    /// The E4M3FN codes, row-major, `rows × columns`.
    public var codes: [UInt8]
    /// `scale_inv`, row-major `scaleRows × scaleColumns`; `W' = float32(Q) · scale_inv`.
    public var scaleInverse: [Float]
    /// `ceil(rows / 128)`.
    public var scaleRows: Int
    /// `ceil(columns / 128)`.
    public var scaleColumns: Int

    /// Creates a matrix from its parts; the sizes must agree.
    public init(rows: Int, columns: Int, codes: [UInt8], scaleInverse: [Float]) {
        let tiles = BlockShape.deepSeek.tileCounts(rows: rows, columns: columns)
        precondition(codes.count == rows * columns, "codes: \(codes.count) for \(rows)×\(columns)")
        precondition(
            scaleInverse.count == tiles.rows * tiles.columns,
            "scaleInverse: \(scaleInverse.count) for \(tiles.rows)×\(tiles.columns) tiles")
        self.rows = rows
        self.columns = columns
        self.codes = codes
        self.scaleInverse = scaleInverse
        self.scaleRows = tiles.rows
        self.scaleColumns = tiles.columns
    }

    /// The scales in the one-byte e8m0 encoding; exact only for ue8m0 (power-of-two) scales.
    public var scaleInverseE8M0: [UInt8] {
        scaleInverse.map { E8M0.encode(powerOfTwo: $0) }
    }
}
