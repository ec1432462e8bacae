import BlockcastContainers
import BlockcastFormats

extension ReshardPlan {
    /// The plan as `--dry-run` prints it: one line per tensor (placement, input shape, each
    /// rank's shape), then the tensors left out, the bytes per rank, every misalignment and
    /// the world sizes that would plan cleanly.
    package func text(inputLabel: String, files: [String], requantize: Bool) -> String {
        var out = "Plan for \(inputLabel) at world size \(worldSize):\n"
        let nameWidth = min(60, tensors.map { $0.pieces.first?.name.count ?? 0 }.max() ?? 0)
        out +=
            "  " + pad("tensor", nameWidth) + "  " + pad("placement", 22) + "  "
            + pad("input", 18) + "  per rank\n"
        for tensor in tensors {
            let output = tensor.pieces.first?.name ?? tensor.source.name
            var placement = tensor.name.placement.description
            switch tensor.method {
            case .requantize, .requantizedScale:
                placement += requantize ? ", re-quantized" : ", MISALIGNED"
            case .slice where tensor.name.isScale: placement += ", 128-blocks"
            default: break
            }
            out +=
                "  " + pad(output, nameWidth) + "  " + pad(placement, 22) + "  "
                + pad(shapeText(tensor.source.shape), 18) + "  " + perRank(tensor) + "\n"
        }

        if !leftOut.isEmpty {
            let layers = Set(leftOut.compactMap { try? TensorName(huggingFace: $0.name).layer })
                .union(leftOut.compactMap { try? TensorName(inference: $0.name).layer })
            let layerText = layers.sorted().map(String.init).joined(separator: ", ")
            out +=
                "Left out: \(leftOut.count) multi-token-prediction tensor(s) of layer(s) "
                + "\(layerText) (\(ByteCount.text(Int64(leftOut.reduce(0) { $0 + $1.byteCount }))))"
                + "; --keep-mtp keeps them.\n"
        }

        out += "Bytes per rank:\n"
        let perRankPieces = piecesPerRank
        for (rank, bytes) in bytesPerRank.enumerated() {
            let file = rank < files.count ? files[rank] : "rank \(rank)"
            out +=
                "  rank \(pad(String(rank), 3)) \(pad(file, 28)) "
                + "\(pad(ByteCount.text(Int64(bytes)), 10)) (\(bytes) bytes, "
                + "\(perRankPieces[rank].count) tensors)\n"
        }

        if !misalignments.isEmpty {
            let verb = requantize ? "re-quantized per rank" : "cannot be split on block boundaries"
            out += "Misaligned FP8 weights (\(misalignments.count), \(verb)):\n"
            for misalignment in misalignments { out += "  " + misalignment.summary + "\n" }
        }
        let clean = cleanWorldSizes.map(String.init).joined(separator: ", ")
        out += "World sizes that split this input cleanly: \(clean.isEmpty ? "none" : clean)\n"
        return out
    }

    /// `[48, 96]` when every rank gets the same shape, else `r0 [..] r1 [..]` per rank.
    private func perRank(_ tensor: PlannedTensor) -> String {
        if tensor.pieces.count == worldSize, worldSize > 1,
            Set(tensor.pieces.map(\.shape)).count == 1
        {
            return shapeText(tensor.pieces[0].shape) + " × \(worldSize)"
        }
        return tensor.pieces.map { "rank \($0.rank): \(shapeText($0.shape))" }
            .joined(separator: ", ")
    }

    private func shapeText(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// The plan as JSON (`--json` of a dry run): every tensor's placement and pieces, the
    /// bytes per rank and the misalignments.
    package func json(files: [String]) -> JSONValue {
        let tensorList = tensors.map { tensor -> JSONValue in
            var method: String
            switch tensor.method {
            case .copy: method = "copy"
            case .slice: method = "slice"
            case .requantize, .requantizedScale: method = "requantize"
            }
            if tensor.name.isScale, case .slice = tensor.method { method = "slice-blocks" }
            return [
                "input": .string(tensor.source.name),
                "dtype": .string(tensor.source.dtype.rawValue),
                "shape": .array(tensor.source.shape.map { .integer($0) }),
                "placement": .string(tensor.name.placement.description),
                "method": .string(method),
                "pieces": .array(
                    tensor.pieces.map { piece in
                        [
                            "rank": .integer(piece.rank), "name": .string(piece.name),
                            "dtype": .string(piece.dtype.rawValue),
                            "shape": .array(piece.shape.map { .integer($0) }),
                        ]
                    }),
            ]
        }
        let misaligned = misalignments.map { item -> JSONValue in
            [
                "tensor": .string(item.tensor), "shape": .array(item.shape.map { .integer($0) }),
                "dimension": .integer(item.dimension), "slice": .integer(item.sliceSize),
                "aligned_world_sizes": .array(item.alignedWorldSizes.map { .integer($0) }),
            ]
        }
        return [
            "world_size": .integer(worldSize),
            "files": .array(files.map { .string($0) }),
            "bytes_per_rank": .array(bytesPerRank.map { .integer($0) }),
            "tensors": .array(tensorList),
            "left_out": .array(leftOut.map { .string($0.name) }),
            "misaligned": .array(misaligned),
            "clean_world_sizes": .array(cleanWorldSizes.map { .integer($0) }),
        ]
    }
}
