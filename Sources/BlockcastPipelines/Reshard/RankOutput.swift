import BlockcastContainers
import BlockcastFormats
import Foundation

/// One rank file being written: pieces arrive by their position in the rank's plan.
protocol RankOutput: AnyObject {
    /// Writes the piece at `position` of the rank's pieces.
    func write(piece position: Int, bytes: UnsafeRawBufferPointer) throws(ReshardError)
    /// Completes the file and renames it into place.
    func finish() throws(ReshardError)
    /// Removes the unfinished file.
    func abandon()
}

extension RankFileWriter: RankOutput {}

/// An HDF5 rank file, through the containers' ``HDF5Writer``.
///
/// HDF5 needs no layout in advance, but takes whole tensors, so each piece is copied into one
/// first (one piece in memory per rank at a time).
final class HDF5RankOutput: RankOutput, @unchecked Sendable {
    private let writer: HDF5Writer
    private let pieces: [RankPiece]

    /// Creates the temporary HDF5 file for `pieces`, with `config` as its root attribute.
    init(path: String, pieces: [RankPiece], config: JSONValue?) throws(ReshardError) {
        do {
            writer = try HDF5Writer(path: path, config: config)
        } catch {
            throw ReshardError(.output, error.description)
        }
        self.pieces = pieces
    }

    func write(piece position: Int, bytes: UnsafeRawBufferPointer) throws(ReshardError) {
        let piece = pieces[position]
        let tensor = Tensor(dtype: piece.dtype, shape: piece.shape) { destination in
            if bytes.count > 0 { destination.copyMemory(from: bytes) }
        }
        do {
            try writer.write(piece.name, tensor)
        } catch {
            throw ReshardError(.output, error.description)
        }
    }

    func finish() throws(ReshardError) {
        do {
            try writer.finish()
        } catch {
            throw ReshardError(.output, error.description)
        }
    }

    func abandon() { writer.abandon() }
}
