/// The size of the tiles a weight matrix is quantized in.
public struct BlockShape: Sendable, Equatable {
    /// Rows of a tile (output features).
    public var rows: Int
    /// Columns of a tile (input features).
    public var columns: Int

    /// Creates a tile shape.
    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
    }

    /// The 128 × 128 tiles of DeepSeek's FP8 checkpoints.
    public static let deepSeek = BlockShape(rows: 128, columns: 128)

    /// Tiles needed to cover `rows × columns` (the shape of the scale tensor); the last row
    /// and column of tiles may be ragged.
    public func tileCounts(rows: Int, columns: Int) -> (rows: Int, columns: Int) {
        ((rows + self.rows - 1) / self.rows, (columns + self.columns - 1) / self.columns)
    }
}
