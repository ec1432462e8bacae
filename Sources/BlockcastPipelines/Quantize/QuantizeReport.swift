import BlockcastContainers
import BlockcastFormats

/// The plan and the per-tensor error report of `quantize`, as a table for people and as
/// JSON (`--json FILE`, layout in formats/quantize-report.md).
package struct QuantizeReport {
    /// The plan.
    package let plan: QuantizePlan
    /// The error statistics of the converted tensors this process knows of (FP8 ones, or
    /// with `--to bf16` the bfloat16 ones).
    package let statistics: [String: QuantizationStatistics]
    /// How many of the worst tensors (lowest SQNR) to list.
    package var worstCount = 5

    /// A report of `plan` with `statistics`.
    package init(plan: QuantizePlan, statistics: [String: QuantizationStatistics]) {
        self.plan = plan
        self.statistics = statistics
    }

    /// The tensors with statistics, lowest SQNR first (ties by name).
    package var worst: [(name: String, statistics: QuantizationStatistics)] {
        statistics.sorted {
            ($0.value.sqnrDecibels, $0.key) < ($1.value.sqnrDecibels, $1.key)
        }.prefix(worstCount).map { ($0.key, $0.value) }
    }

    /// The dry-run listing: every tensor's source and target type, shape and bytes, then the
    /// files and the totals.
    package func planText() -> String {
        var rows = [["tensor", "from", "to", "shape", "bytes in", "bytes out", "file"]]
        for entry in plan.entries {
            rows.append([
                entry.name, entry.sourceDType.rawValue,
                entry.outputDType.rawValue + (entry.scale == nil ? "" : " + scale"),
                Self.shapeText(entry.shape), ByteCount.text(Int64(entry.inputBytes)),
                ByteCount.text(Int64(entry.outputBytes)), plan.files[entry.file].name,
            ])
        }
        var text = Self.table(rows, rightAligned: [4, 5])
        let fp8 = plan.entries.filter { $0.target == .fp8 }.count
        text += "\n\(plan.entries.count) tensors (\(fp8) to FP8) in \(plan.files.count) files: "
        text += "\(ByteCount.text(Int64(plan.inputBytes))) in, "
        text += "\(ByteCount.text(Int64(plan.outputBytes))) out\n"
        return text
    }

    /// The error table of every measured tensor (plan order), then the worst ones.
    package func errorText() -> String {
        var rows = [["tensor", "shape", "SQNR dB", "max abs err", "max err/amax", "flushed"]]
        for entry in plan.entries {
            guard let s = statistics[entry.name] else { continue }
            rows.append([
                entry.name, Self.shapeText(entry.shape), Self.decibels(s.sqnrDecibels),
                Self.scientific(Double(s.maxAbsoluteError)),
                Self.scientific(Double(s.maxErrorRelativeToAmax)), String(s.flushedToZero),
            ])
        }
        guard rows.count > 1 else { return "" }
        var text = Self.table(rows, rightAligned: [2, 3, 4, 5])
        text += "\nworst tensors (lowest SQNR):\n"
        for (name, s) in worst {
            text += "  \(Self.decibels(s.sqnrDecibels)) dB  \(name)\n"
        }
        return text
    }

    /// The JSON report: options, every tensor, the files, the totals and the worst tensors.
    package func json(
        input: String, output: String, options: QuantizeOptions, merged: Bool
    ) throws -> JSONValue {
        var tensors: [JSONValue] = []
        for entry in plan.entries {
            var members: [String: JSONValue] = [
                "name": .string(entry.name), "from": .string(entry.sourceDType.rawValue),
                "to": .string(entry.outputDType.rawValue),
                "shape": .array(entry.shape.map { .integer($0) }),
                "input_bytes": .integer(entry.inputBytes),
                "output_bytes": .integer(entry.outputBytes),
                "file": .string(plan.files[entry.file].name),
                "statistics": .null,
            ]
            if let scale = entry.scale {
                members["scale"] = [
                    "name": .string(scale.name), "dtype": .string(scale.dtype.rawValue),
                    "shape": .array(scale.shape.map { .integer($0) }),
                ]
            }
            if let statistics = statistics[entry.name] {
                members["statistics"] = try QuantizationConfig.encode(statistics)
            }
            tensors.append(.object(members))
        }
        return [
            "format": "blockcast-quantize-report", "version": 1,
            "input": .string(input), "output": .string(output),
            "options": [
                "to": .string(options.policy.mode.rawValue),
                "scale_format": .string(options.scaleFormat.rawValue),
                "scale_dtype": .string(options.scaleStorage.rawValue),
                "include": .array(options.policy.include.map { .string($0.text) }),
                "exclude": .array(options.policy.exclude.map { .string($0.text) }),
                "part": .string("\(options.partIndex + 1)/\(options.partCount)"),
            ],
            "merged": .bool(merged),
            "tensors": .array(tensors),
            "files": .array(plan.files.map { .string($0.name) }),
            "totals": [
                "tensors": .integer(plan.entries.count),
                "fp8_tensors": .integer(plan.entries.filter { $0.target == .fp8 }.count),
                "input_bytes": .integer(plan.inputBytes),
                "output_bytes": .integer(plan.outputBytes),
            ],
            "worst": .array(worst.map { .string($0.name) }),
        ]
    }

    private static func shapeText(_ shape: [Int]) -> String {
        shape.map(String.init).joined(separator: "x")
    }

    private static func decibels(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        return "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }

    /// Three significant digits, `1.23e-03`.
    private static func scientific(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : "inf" }
        if value == 0 { return "0" }
        var exponent = 0
        var mantissa = abs(value)
        while mantissa >= 10 {
            mantissa /= 10
            exponent += 1
        }
        while mantissa < 1 {
            mantissa *= 10
            exponent -= 1
        }
        var hundredths = Int((mantissa * 100).rounded())
        if hundredths >= 1000 {
            hundredths /= 10
            exponent += 1
        }
        let digits = "\(hundredths / 100).\(String(hundredths % 100).leftPadded(2))"
        let sign = exponent < 0 ? "-" : "+"
        return "\(value < 0 ? "-" : "")\(digits)e\(sign)\(String(abs(exponent)).leftPadded(2))"
    }

    /// Columns padded to their widest cell, two spaces apart.
    private static func table(_ rows: [[String]], rightAligned: Set<Int>) -> String {
        var widths = [Int](repeating: 0, count: rows.first?.count ?? 0)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        var text = ""
        for row in rows {
            let cells = row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return rightAligned.contains(i) ? pad + cell : cell + pad
            }
            var line = cells.joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }
            text += line + "\n"
        }
        return text
    }
}

extension String {
    /// The string with zeros in front up to `width` characters.
    fileprivate func leftPadded(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
