/// The human summary `verify` prints on stdout.
extension VerifyReport {
    /// The report as plain text: what ran, one metrics row per candidate, where error entered,
    /// each gate with its measured value, and a closing verdict line.
    public func table() -> String {
        var lines: [String] = []
        lines.append("reference: \(referenceLine)")
        lines.append(
            "tokens:    \(inputs.sequences) sequences, \(inputs.positions) positions "
                + "(longest \(inputs.longest)), from \(inputs.source)")
        lines.append("")

        // Metrics, one row per candidate.
        let header = ["candidate"] + Metric.tableColumns.map(\.rawValue)
        let rows = candidates.map { candidate in
            [candidate.name] + Metric.tableColumns.map { ReportFormat.cell(candidate.metrics[$0]) }
        }
        lines += Self.aligned([header] + rows)

        // Where the error came from, for the candidates that have the detail.
        let notes = candidates.compactMap(Self.detailLine)
        if !notes.isEmpty {
            lines.append("")
            lines += notes
        }

        lines.append("")
        lines += gateLines()
        return lines.joined(separator: "\n") + "\n"
    }

    /// The run the candidates were compared with: rank files of an FP8 checkpoint are held to
    /// that checkpoint unsharded on their own path, not to an fp32 run, so name what was used.
    private var referenceLine: String {
        let runs = Set(candidates.map(\.comparedWith))
        if runs.count == 1, let run = runs.first { return run }
        if let file = reference.logitsFile { return "logits read from \(file)" }
        let primary = "\(reference.path?.rawValue ?? "fp32") of \(reference.checkpoint ?? "?")"
        return runs.contains { $0.hasSuffix(", unsharded") }
            ? primary + " (rank files: the same path unsharded)" : primary
    }

    private func gateLines() -> [String] {
        let all = candidates.flatMap { candidate in candidate.gates.map { (candidate.name, $0) } }
        guard !all.isEmpty else { return ["no gates were applied"] }

        let rows = all.map { name, outcome in
            let status =
                switch outcome.status {
                case .passed: "pass"
                case .failed: "FAIL"
                case .skipped: "skip"
                }
            let measured = outcome.measured.map(ReportFormat.number) ?? "not measured"
            return [status, name, outcome.gate.condition, "measured \(measured)"]
        }
        var lines = ["gates:"] + Self.aligned(rows, numeric: false).map { "  " + $0 }

        let failed = failedGates
        let skipped = all.filter { $0.1.status == .skipped }.count
        let skippedNote = skipped > 0 ? ", \(skipped) skipped (metric not measured)" : ""
        lines.append("")
        if failed.isEmpty {
            lines.append(
                "result: PASS, \(all.count - skipped) of \(all.count) gates held"
                    + skippedNote)
        } else {
            lines.append("result: FAIL, \(failed.count) of \(all.count) gates failed" + skippedNote)
            for (name, outcome) in failed {
                lines.append("  \(name): \(outcome.explanation)")
            }
        }
        return lines
    }

    private static func detailLine(_ candidate: CandidateReport) -> String? {
        var parts: [String] = []
        let metrics = candidate.metrics
        if let first = metrics.drift.first, let last = metrics.drift.last {
            parts.append(
                "drift \(ReportFormat.cell(first)) after block 0, "
                    + "\(ReportFormat.cell(last)) after block \(metrics.drift.count - 1)")
        }
        if let worst = metrics.routingByLayer.min(by: { $0.agreement < $1.agreement }) {
            parts.append(
                "routing lowest in layer \(worst.layer) (\(ReportFormat.cell(worst.agreement)))")
        }
        if metrics.nonFiniteLogits > 0 {
            parts.append("\(metrics.nonFiniteLogits) non-finite logits")
        }
        guard !parts.isEmpty else { return nil }
        return "\(candidate.name): " + parts.joined(separator: "; ")
    }

    /// Pads the cells into columns two spaces apart; numbers (every column but the first)
    /// are right-aligned when `numeric`.
    private static func aligned(_ rows: [[String]], numeric: Bool = true) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        var widths = Array(repeating: 0, count: columns)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { i, cell in
                let padding = String(repeating: " ", count: widths[i] - cell.count)
                return i == 0 || !numeric ? cell + padding : padding + cell
            }
            .joined(separator: "  ")
            .trimmingTrailingSpaces
        }
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}
