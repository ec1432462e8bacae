import BlockcastContainers
import BlockcastFormats
import Foundation

/// The rank files of a tensor-parallel checkpoint, read back as the tensors they were cut
/// from: split tensors are concatenated along their split dimension, replicated tensors are
/// taken from rank 0, and each routed expert from the one rank that holds it.
final class RankDirectory: @unchecked Sendable {
    /// One merged tensor: its description and where its pieces are.
    struct MergedTensor {
        /// The tensor as the merge presents it (inference name, full shape).
        let info: TensorInfo
        /// The pieces, in rank order, each with its rank's checkpoint index.
        let pieces: [(rank: Int, info: TensorInfo)]
        /// The dimension pieces are concatenated along; nil when one piece is the tensor.
        let dimension: Int?
    }

    /// The directory.
    let path: String
    /// One checkpoint per rank.
    let ranks: [Checkpoint]
    /// The merged tensors, in the order of first appearance (rank 0 first).
    let merged: [MergedTensor]

    private init(path: String, ranks: [Checkpoint], merged: [MergedTensor]) {
        self.path = path
        self.ranks = ranks
        self.merged = merged
    }

    /// The rank files in `directory`, in rank order, or nil when it holds none.
    ///
    /// - Throws: ``ReshardError`` when ranks are missing or several world sizes are mixed,
    ///   naming what is missing.
    static func find(in directory: String) throws(ReshardError) -> [String]? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var byWorld: [Int: [Int: String]] = [:]
        for name in names {
            guard let (rank, world) = parseRankFileName(name) else { continue }
            byWorld[world, default: [:]][rank] = name
        }
        guard !byWorld.isEmpty else { return nil }
        guard byWorld.count == 1, let (world, ranks) = byWorld.first else {
            let sets = byWorld.keys.sorted().map { "mp\($0) (\(byWorld[$0]!.count) files)" }
            throw ReshardError(
                .badRankDirectory,
                "'\(directory)' mixes rank files of several world sizes: "
                    + "\(sets.joined(separator: ", ")); keep one set per directory.")
        }
        let missing = (0..<world).filter { ranks[$0] == nil }
        guard missing.isEmpty else {
            let list = missing.map { "rank \($0) (model\($0)-mp\(world).*)" }
            throw ReshardError(
                .badRankDirectory,
                "'\(directory)' holds \(ranks.count) of the \(world) rank files of world size "
                    + "\(world); missing: \(list.joined(separator: ", ")).")
        }
        let formats = Set(ranks.values.map { ($0 as NSString).pathExtension })
        guard formats.count == 1 else {
            throw ReshardError(
                .badRankDirectory,
                "'\(directory)' mixes safetensors and HDF5 rank files of world size \(world).")
        }
        return (0..<world).map { ranks[$0]! }
    }

    /// `(rank, worldSize)` for `model{r}-mp{n}.safetensors` / `.h5`, else nil.
    static func parseRankFileName(_ name: String) -> (Int, Int)? {
        let stem: Substring
        if name.hasSuffix(".safetensors") {
            stem = name.dropLast(".safetensors".count)
        } else if name.hasSuffix(".h5") {
            stem = name.dropLast(".h5".count)
        } else {
            return nil
        }
        guard stem.hasPrefix("model") else { return nil }
        let parts = stem.dropFirst(5).split(separator: "-mp", omittingEmptySubsequences: false)
        guard parts.count == 2, let rank = Int(parts[0]), let world = Int(parts[1]),
            rank >= 0, world > 0, rank < world, String(rank) == parts[0], String(world) == parts[1]
        else { return nil }
        return (rank, world)
    }

    /// Opens every rank file and works out how the tensors merge.
    static func open(_ directory: String, files: [String]) throws(ReshardError) -> RankDirectory {
        var ranks: [Checkpoint] = []
        for file in files {
            do {
                ranks.append(
                    try Checkpoint.open((directory as NSString).appendingPathComponent(file)))
            } catch {
                throw ReshardError(.input, error.description)
            }
        }

        // Where each name occurs, in order of first appearance.
        var order: [String] = []
        var occurrences: [String: [(rank: Int, info: TensorInfo)]] = [:]
        for (rank, checkpoint) in ranks.enumerated() {
            for info in checkpoint.tensors {
                if occurrences[info.name] == nil { order.append(info.name) }
                occurrences[info.name, default: []].append((rank, info))
            }
        }

        var problems: [String] = []
        var merged: [MergedTensor] = []
        var weightSlices: [String: Int] = [:]
        for name in order {
            let pieces = occurrences[name]!
            do {
                let tensor = try TensorName(inference: name)
                if let result = try mergeTensor(
                    tensor, pieces, worldSize: ranks.count, weightSlices: &weightSlices,
                    problems: &problems)
                {
                    merged.append(result)
                }
            } catch {
                problems.append(error.message)
            }
        }
        try checkScales(merged, weightSlices, worldSize: ranks.count, problems: &problems)
        guard problems.isEmpty else {
            throw ReshardError(
                .badRankDirectory,
                "The rank files in '\(directory)' do not merge into one checkpoint:",
                details: problems)
        }
        return RankDirectory(path: directory, ranks: ranks, merged: merged)
    }

    /// The merged description of one name, or nil (with a problem noted) when its pieces
    /// disagree.
    private static func mergeTensor(
        _ name: TensorName, _ pieces: [(rank: Int, info: TensorInfo)], worldSize: Int,
        weightSlices: inout [String: Int], problems: inout [String]
    ) throws(NamingError) -> MergedTensor? {
        let first = pieces[0].info
        let whole = TensorInfo(
            name: first.name, dtype: first.dtype, shape: first.shape, file: first.file)
        if case .expert = name.placement {
            guard pieces.count == 1 else {
                problems.append(
                    "routed expert tensor '\(first.name)' is in \(pieces.count) rank files; "
                        + "each expert belongs to one rank")
                return nil
            }
            return MergedTensor(info: whole, pieces: pieces, dimension: nil)
        }
        guard pieces.count == worldSize else {
            let missing = Set(0..<worldSize).subtracting(pieces.map(\.rank)).sorted()
            problems.append(
                "'\(first.name)' is missing from rank(s) "
                    + missing.map(String.init).joined(separator: ", "))
            return nil
        }
        guard case .split(let dimension) = name.placement, worldSize > 1 else {
            for piece in pieces
            where piece.info.dtype != first.dtype || piece.info.shape != first.shape {
                problems.append(
                    "replicated tensor '\(first.name)' is \(first.dtype.rawValue) \(first.shape) "
                        + "in rank 0 but \(piece.info.dtype.rawValue) \(piece.info.shape) in "
                        + "rank \(piece.rank)")
                return nil
            }
            return MergedTensor(info: whole, pieces: [pieces[0]], dimension: nil)
        }
        guard dimension < first.shape.count else {
            problems.append("'\(first.name)' \(first.shape) has no dimension \(dimension)")
            return nil
        }
        for piece in pieces {
            var expected = first.shape
            expected[dimension] = piece.info.shape[safe: dimension] ?? -1
            guard piece.info.dtype == first.dtype, piece.info.shape == expected,
                piece.info.shape[dimension] == first.shape[dimension]
            else {
                problems.append(
                    "'\(first.name)' is \(first.dtype.rawValue) \(first.shape) in rank 0 but "
                        + "\(piece.info.dtype.rawValue) \(piece.info.shape) in rank "
                        + "\(piece.rank); split pieces must have equal shapes")
                return nil
            }
        }
        var shape = first.shape
        shape[dimension] *= worldSize
        if !name.isScale { weightSlices[name.inference] = first.shape[dimension] }
        return MergedTensor(
            info: TensorInfo(name: first.name, dtype: first.dtype, shape: shape, file: first.file),
            pieces: pieces, dimension: dimension)
    }

    /// Scales of split weights concatenate only when each rank's slice was block-aligned;
    /// rank files made with `--requantize-misaligned` hold per-slice blocks instead.
    private static func checkScales(
        _ merged: [MergedTensor], _ weightSlices: [String: Int], worldSize: Int,
        problems: inout [String]
    ) throws(ReshardError) {
        for tensor in merged where tensor.dimension != nil {
            guard let weight = TensorName.weightName(forScale: tensor.info.name),
                let slice = weightSlices[weight]
            else { continue }
            if slice % 128 != 0 {
                // TODO: merging re-quantized slices needs a dequantize-and-requantize pass.
                problems.append(
                    "'\(weight)' was re-quantized per rank (\(slice) per rank is not a multiple "
                        + "of 128), so its scale '\(tensor.info.name)' cannot be merged back "
                        + "exactly")
            }
        }
    }

    /// Reads merged tensor `index`: one piece as is, or the pieces concatenated.
    func read(_ index: Int) throws(ReshardError) -> Tensor {
        let tensor = merged[index]
        var pieces: [Tensor] = []
        for piece in tensor.pieces {
            do {
                pieces.append(try ranks[piece.rank].read(piece.info))
            } catch {
                throw ReshardError(.input, error.description)
            }
        }
        guard let dimension = tensor.dimension else { return pieces[0] }
        let info = tensor.info
        let width = info.dtype.byteWidth
        return Tensor(dtype: info.dtype, shape: info.shape) { destination in
            var start = 0
            for piece in pieces {
                let count = piece.shape[dimension]
                piece.withUnsafeBytes { bytes in
                    TensorSlicing.insert(
                        bytes, shape: info.shape, width: width, dimension: dimension,
                        range: start..<(start + count), into: destination)
                }
                start += count
            }
        }
    }
}

extension Array {
    /// The element at `index`, or nil when out of range.
    fileprivate subscript(safe index: Int) -> Element? {
        indices.contains(index) ? self[index] : nil
    }
}
