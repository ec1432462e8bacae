import BlockcastContainers

/// What a `reshard` run wrote.
package struct ReshardReport: Sendable {
    /// One FP8 weight re-quantized per rank, and what that cost.
    package struct Requantized: Sendable, Hashable {
        /// The weight as the input names it.
        package let tensor: String
        /// Its shape in the input.
        package let shape: [Int]
        /// The split dimension.
        package let dimension: Int
        /// SQNR of the new values against the input's dequantized values, over all ranks.
        package let sqnrDecibels: Double
        /// The largest absolute change of one element.
        package let maxAbsoluteError: Float
    }

    /// The rank files (or the merged file), in rank order, relative to the output directory.
    package var files: [String] = []
    /// Rank files a previous run completed and this one kept (`--resume`).
    package var keptFiles: [String] = []
    /// Other files copied beside them (config, tokenizer).
    package var copiedFiles: [String] = []
    /// Tensors written, over all ranks.
    package var pieceCount = 0
    /// Bytes of tensor data written, over all ranks.
    package var bytesWritten = 0
    /// Input tensors read.
    package var tensorsRead = 0
    /// Input bytes read.
    package var bytesRead = 0
    /// Multi-token-prediction tensors left out.
    package var leftOut = 0
    /// The weights re-quantized because their slices cut blocks.
    package var requantized: [Requantized] = []
    /// Wall time in seconds.
    package var seconds = 0.0
}

extension ReshardReport {
    /// The summary printed after a run.
    package func text(output: String, worldSize: Int) -> String {
        let what = worldSize == 1 ? "1 file" : "\(files.count) rank files"
        let rate = seconds > 0 ? Double(bytesRead) / seconds : 0
        var out =
            "Wrote \(what) to '\(output)' (world size \(worldSize)): \(pieceCount) tensors, "
            + "\(ByteCount.text(Int64(bytesWritten))) from \(tensorsRead) input tensors "
            + "(\(ByteCount.text(Int64(bytesRead)))) in \(DurationText.secondsText(seconds)), "
            + "\(ByteCount.text(rate))/s.\n"
        if !keptFiles.isEmpty {
            out +=
                "Kept \(keptFiles.count) rank file(s) an earlier run completed: "
                + keptFiles.joined(separator: ", ") + ".\n"
        }
        if !requantized.isEmpty {
            out += "Re-quantized \(requantized.count) misaligned FP8 weight(s) per rank:\n"
            for item in requantized {
                let sqnr =
                    item.sqnrDecibels.isFinite
                    ? DurationText.oneDecimal(item.sqnrDecibels) + " dB" : "exact"
                out +=
                    "  '\(item.tensor)' \(item.shape), dim \(item.dimension): added error "
                    + "SQNR \(sqnr), max \(item.maxAbsoluteError)\n"
            }
        }
        if leftOut > 0 {
            out += "Left out \(leftOut) multi-token-prediction tensor(s); --keep-mtp keeps them.\n"
        }
        if !copiedFiles.isEmpty {
            out += "Copied \(copiedFiles.joined(separator: ", ")).\n"
        }
        return out
    }

    /// The report as JSON (`--json FILE`).
    package func json(worldSize: Int) -> JSONValue {
        [
            "world_size": .integer(worldSize),
            "files": .array(files.map { .string($0) }),
            "kept_files": .array(keptFiles.map { .string($0) }),
            "copied_files": .array(copiedFiles.map { .string($0) }),
            "tensors_written": .integer(pieceCount),
            "bytes_written": .integer(bytesWritten),
            "tensors_read": .integer(tensorsRead),
            "bytes_read": .integer(bytesRead),
            "left_out": .integer(leftOut),
            "seconds": .number(seconds),
            "requantized": .array(
                requantized.map { item in
                    [
                        "tensor": .string(item.tensor),
                        "shape": .array(item.shape.map { .integer($0) }),
                        "dimension": .integer(item.dimension),
                        "sqnr_db": item.sqnrDecibels.isFinite
                            ? .number(item.sqnrDecibels) : .string("inf"),
                        "max_abs_error": .number(Double(item.maxAbsoluteError)),
                    ]
                }),
        ]
    }
}
