import BlockcastContainers
import BlockcastFormats
import BlockcastModel

extension InspectReport {
    /// The listing `inspect` prints: the tensor table, totals per dtype, the model and the
    /// scale coverage.
    package var text: String {
        var out = "Checkpoint '\(path)': \(format.rawValue), \(files.count) file(s)"
        if let worldSize { out += ", rank files of world size \(worldSize)" }
        out += "\n\n"

        let nameWidth = min(72, max(6, rows.map(\.name.count).max() ?? 0))
        let shapes = rows.map { shapeText($0.shape) }
        let shapeWidth = max(5, shapes.map(\.count).max() ?? 0)
        let showFile = files.count > 1
        out +=
            pad("tensor", nameWidth) + "  " + pad("dtype", 8) + "  " + pad("shape", shapeWidth)
            + "  " + leftPad("size", 10) + (showFile ? "  file" : "") + "\n"
        for (row, shape) in zip(rows, shapes) {
            out +=
                pad(row.name, nameWidth) + "  " + pad(row.dtype.rawValue, 8) + "  "
                + pad(shape, shapeWidth) + "  " + leftPad(ByteCount.text(Int64(row.bytes)), 10)
                + (showFile ? "  " + row.file : "") + "\n"
        }

        out +=
            "\nTotals: \(rows.count) tensors, \(ByteCount.text(Int64(totalBytes))) "
            + "(\(totalBytes) bytes)\n"
        for total in totals {
            out +=
                "  " + pad(total.dtype.rawValue, 8) + "  " + leftPad(String(total.count), 6)
                + " tensors  " + leftPad(ByteCount.text(Int64(total.bytes)), 10) + "\n"
        }

        out += "\nModel:\n"
        if let config {
            for line in config.summary.split(separator: "\n") { out += "  \(line)\n" }
        } else if let configProblem {
            out += "  the config could not be read: \(configProblem)\n"
        } else {
            out += "  no config found (config.json or an HDF5 'config' attribute)\n"
        }

        out += "\n" + coverage.text
        return out
    }

    private func shapeText(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }
}

extension ScaleCoverage {
    /// The coverage section of the listing.
    var text: String {
        let fp8 = covered.count + missingScale.count + fp8WithWrongScale
        var out =
            "Quantization: \(fp8) FP8 weight(s), \(covered.count) with a block scale of "
            + "the right shape; \(highPrecision.count) 2-D weight(s) in higher precision\n"
        for pair in wrongShape {
            out +=
                "  wrong scale shape: '\(pair.scale)' is \(pair.found), weight "
                + "'\(pair.weight)' needs \(pair.expected) (\(pair.file))\n"
        }
        for item in missingScale {
            out += "  no scale: FP8 weight '\(item.name)' (\(item.file))\n"
        }
        for item in orphanedScales {
            out += "  orphaned scale: '\(item.name)' has no weight (\(item.file))\n"
        }
        if isComplete && fp8 > 0 { out += "  every FP8 weight has its scale\n" }
        return out
    }

}

private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

private func leftPad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}
