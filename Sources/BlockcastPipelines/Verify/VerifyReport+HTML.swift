import Foundation

/// The HTML view of a report: one self-contained page (inline CSS and SVG, no scripts, no
/// network) with the gate table, the metrics, per-layer drift and the KL histograms.
extension VerifyReport {
    /// The page.
    public func html() -> String {
        let e = ReportFormat.xmlEscaped
        let verdict = passed ? "PASS" : "FAIL"
        var body: [String] = []

        body.append(
            "<h1>blockcast verify <span class=\"badge \(passed ? "pass" : "fail")\">"
                + "\(verdict)</span></h1>")
        let reference =
            reference.logitsFile.map { "logits read from <code>\(e($0))</code>" }
            ?? "\(e(reference.path?.rawValue ?? "fp32")) of "
            + "<code>\(e(reference.checkpoint ?? "?"))</code>"
        body.append(
            "<p>Reference: \(reference). Tokens: \(inputs.sequences) sequences, "
                + "\(inputs.positions) positions (longest \(inputs.longest)), from "
                + "\(e(inputs.source)). Written by \(e(tool)).</p>")

        body.append("<h2>Gates</h2>")
        body.append(gateTable())
        body.append("<h2>Metrics</h2>")
        body.append(metricsTable())

        let drifting = candidates.filter { !$0.metrics.drift.isEmpty }
        if !drifting.isEmpty {
            body.append("<h2>Per-layer drift</h2>")
            body.append(
                "<p>Relative RMS error of the hidden state after each block "
                    + "(‖h − ĥ‖ / ‖h‖ over all positions), log scale: where error enters "
                    + "and how it grows.</p>")
            body.append(HTMLCharts.driftChart(drifting.map { ($0.name, $0.metrics.drift) }))
        }

        body.append("<h2>KL divergence per position</h2>")
        body.append(
            "<p>How many positions have KL(P<sub>ref</sub> ‖ P<sub>cand</sub>) in each "
                + "log-spaced bin (nats).</p>")
        body.append("<div class=\"charts\">")
        for (i, candidate) in candidates.enumerated() {
            body.append(
                HTMLCharts.histogram(
                    candidate.metrics.klHistogram, title: candidate.name,
                    color: HTMLCharts.color(i)))
        }
        body.append("</div>")

        let loaded = candidates.enumerated().filter { !$0.element.metrics.expertLoad.isEmpty }
        if !loaded.isEmpty {
            body.append("<h2>Expert load</h2>")
            body.append(
                "<p>Tokens routed to each expert in the MoE layer where routing agreement is "
                    + "lowest, reference (grey) against candidate.</p>")
            body.append("<div class=\"charts\">")
            for (i, candidate) in loaded { body.append(Self.loadChart(candidate, color: i)) }
            body.append("</div>")
        }

        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>blockcast verify: \(verdict)</title>
            <style>
            \(Self.style)
            </style>
            </head>
            <body>
            \(body.joined(separator: "\n"))
            </body>
            </html>

            """
    }

    private func gateTable() -> String {
        let e = ReportFormat.xmlEscaped
        var rows: [String] = []
        for candidate in candidates {
            for outcome in candidate.gates {
                let (label, cssClass) =
                    switch outcome.status {
                    case .passed: ("pass", "pass")
                    case .failed: ("FAIL", "fail")
                    case .skipped: ("skipped", "skip")
                    }
                let measured = outcome.measured.map(ReportFormat.number) ?? "not measured"
                rows.append(
                    "<tr><td class=\"\(cssClass)\">\(label)</td><td>\(e(candidate.name))</td>"
                        + "<td><code>\(e(outcome.gate.condition))</code></td>"
                        + "<td class=\"num\">\(e(measured))</td></tr>")
            }
        }
        if rows.isEmpty { return "<p>No gates were applied.</p>" }
        return "<table><tr><th>status</th><th>candidate</th><th>gate</th><th>measured</th></tr>\n"
            + rows.joined(separator: "\n") + "\n</table>"
    }

    /// One column per candidate, one row per metric: reads down a candidate, across a metric.
    private func metricsTable() -> String {
        let e = ReportFormat.xmlEscaped
        var lines = ["<table><tr><th>metric</th>"]
        lines[0] += candidates.map { "<th>\(e($0.name))</th>" }.joined() + "</tr>"
        lines.append(
            "<tr><td>source</td>"
                + candidates.map { candidate in
                    "<td><small>\(e(candidate.source))<br>against "
                        + "\(e(candidate.comparedWith))</small></td>"
                }.joined() + "</tr>")
        for metric in Metric.allCases {
            let cells = candidates.map { candidate in
                "<td class=\"num\">\(e(ReportFormat.cell(candidate.metrics[metric])))</td>"
            }
            lines.append("<tr><td><code>\(e(metric.rawValue))</code></td>\(cells.joined())</tr>")
        }
        lines.append("</table>")
        return lines.joined(separator: "\n")
    }

    private static func loadChart(_ candidate: CandidateReport, color: Int) -> String {
        let metrics = candidate.metrics
        let worst = metrics.routingByLayer.min { $0.agreement < $1.agreement }
        let entry =
            metrics.expertLoad.first { $0.layer == worst?.layer } ?? metrics.expertLoad[0]
        let agreement = worst.map { ReportFormat.cell($0.agreement) } ?? "-"
        return HTMLCharts.pairedBars(
            reference: entry.reference, candidate: entry.candidate,
            title: "\(candidate.name), layer \(entry.layer) (routing \(agreement))",
            color: HTMLCharts.color(color))
    }

    private static let style = """
        body { font-family: system-ui, sans-serif; margin: 24px; color: #222; max-width: 1150px; }
        h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; }
        table { border-collapse: collapse; font-size: 13px; }
        th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
        th { background: #f2f2f2; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        td.pass { color: #1a7f37; font-weight: 600; }
        td.fail { color: #fff; background: #c62828; font-weight: 600; }
        td.skip { color: #777; }
        .badge { padding: 2px 10px; border-radius: 4px; color: #fff; font-size: 16px; }
        .badge.pass { background: #1a7f37; } .badge.fail { background: #c62828; }
        .charts { display: flex; flex-wrap: wrap; gap: 12px; }
        svg text { font-family: system-ui, sans-serif; font-size: 11px; fill: #333; }
        svg .title { font-size: 13px; font-weight: 600; }
        svg .grid { stroke: #e5e5e5; }
        svg .axis { stroke: #555; }
        """
}

/// Inline SVG charts for the HTML report.
enum HTMLCharts {
    /// A colour per candidate, in order.
    static func color(_ index: Int) -> String {
        let palette = [
            "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
            "#17becf",
        ]
        return palette[index % palette.count]
    }

    /// Drift per block, one line per candidate, log-scale y axis; zeros sit on the floor.
    static func driftChart(_ series: [(name: String, values: [Double])]) -> String {
        let width = 1100.0
        let height = 340.0
        let (left, right, top, bottom) = (70.0, 220.0, 20.0, 45.0)
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom

        let positive = series.flatMap(\.values).filter { $0 > 0 && $0.isFinite }
        var low = floor(log10(positive.min() ?? 1e-12))
        var high = ceil(log10(positive.max() ?? 1e-11))
        if high <= low { high = low + 1 }
        low = max(low, -15)
        let blocks = series.map(\.values.count).max() ?? 1

        func x(_ block: Int) -> Double {
            blocks == 1
                ? left + plotWidth / 2 : left + plotWidth * Double(block) / Double(blocks - 1)
        }
        func y(_ value: Double) -> Double {
            let exponent = value > 0 && value.isFinite ? log10(value) : (value > 0 ? high : low)
            let clamped = min(high, max(low, exponent))
            return top + plotHeight * (high - clamped) / (high - low)
        }

        var svg = [svgOpen(width, height)]
        for decade in Int(low)...Int(high) {
            let py = y(Foundation.pow(10, Double(decade)))
            svg.append(line(left, py, left + plotWidth, py, "grid"))
            svg.append(text(left - 8, py + 4, "1e\(decade)", anchor: "end"))
        }
        let step = max(1, blocks / 16)
        for block in stride(from: 0, to: blocks, by: step) {
            svg.append(line(x(block), top + plotHeight, x(block), top + plotHeight + 4, "axis"))
            svg.append(text(x(block), top + plotHeight + 17, "\(block)", anchor: "middle"))
        }
        svg.append(line(left, top, left, top + plotHeight, "axis"))
        svg.append(line(left, top + plotHeight, left + plotWidth, top + plotHeight, "axis"))
        svg.append(text(left + plotWidth / 2, height - 8, "block", anchor: "middle"))

        for (i, entry) in series.enumerated() {
            let points = entry.values.enumerated().map { b, v in "\(fmt(x(b))),\(fmt(y(v)))" }
            svg.append(
                "<polyline fill=\"none\" stroke=\"\(color(i))\" stroke-width=\"2\" "
                    + "points=\"\(points.joined(separator: " "))\"/>")
            for (b, v) in entry.values.enumerated() {
                svg.append(
                    "<circle cx=\"\(fmt(x(b)))\" cy=\"\(fmt(y(v)))\" r=\"3\" "
                        + "fill=\"\(color(i))\"><title>\(ReportFormat.xmlEscaped(entry.name)) "
                        + "block \(b): \(ReportFormat.number(v))</title></circle>")
            }
            let legendY = top + 10 + Double(i) * 18
            svg.append(
                line(
                    left + plotWidth + 20, legendY, left + plotWidth + 40, legendY, nil,
                    stroke: color(i)))
            svg.append(text(left + plotWidth + 46, legendY + 4, entry.name, anchor: "start"))
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n")
    }

    /// A histogram of log-spaced bins, trimmed to the occupied range.
    static func histogram(_ histogram: Histogram, title: String, color: String) -> String {
        let width = 540.0
        let height = 230.0
        let (left, right, top, bottom) = (50.0, 15.0, 28.0, 45.0)
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom

        let occupied = histogram.counts.indices.filter { histogram.counts[$0] > 0 }
        // Show the occupied range with a bin of air on each side, and never fewer than 8 bins,
        // so a histogram whose values all fall in one bin still reads as a distribution.
        let first = max(0, (occupied.first ?? 1) - 1)
        let last = min(
            histogram.counts.count - 1, max((occupied.last ?? 1) + 1, first + 7))
        let bins = Array(first...last)
        let tallest = max(1, bins.map { histogram.counts[$0] }.max() ?? 1)
        let barWidth = plotWidth / Double(bins.count)

        var svg = [svgOpen(width, height)]
        svg.append(text(left, 16, title, anchor: "start", cssClass: "title"))
        svg.append(line(left, top, left, top + plotHeight, "axis"))
        svg.append(line(left, top + plotHeight, left + plotWidth, top + plotHeight, "axis"))
        svg.append(text(left - 6, top + 4, "\(tallest)", anchor: "end"))
        svg.append(text(left - 6, top + plotHeight + 4, "0", anchor: "end"))

        for (slot, bin) in bins.enumerated() {
            let count = histogram.counts[bin]
            let barHeight = plotHeight * Double(count) / Double(tallest)
            let bx = left + Double(slot) * barWidth
            let range = binLabel(histogram, bin)
            svg.append(
                "<rect x=\"\(fmt(bx + 1))\" y=\"\(fmt(top + plotHeight - barHeight))\" "
                    + "width=\"\(fmt(max(1, barWidth - 2)))\" height=\"\(fmt(barHeight))\" "
                    + "fill=\"\(color)\"><title>\(ReportFormat.xmlEscaped(range)): \(count)"
                    + "</title></rect>")

            // Label the decades (and the open-ended end bins) under their bar's left edge.
            if bin == 0 || bin == histogram.counts.count - 1 {
                svg.append(
                    text(bx + barWidth / 2, top + plotHeight + 16, range, anchor: "middle"))
            } else if let exponent = decade(histogram.edges[bin - 1]) {
                svg.append(text(bx, top + plotHeight + 16, "1e\(exponent)", anchor: "middle"))
            }
        }
        svg.append(text(left + plotWidth / 2, height - 8, "KL (nats)", anchor: "middle"))
        if histogram.nanCount > 0 {
            svg.append(
                text(left + plotWidth, 16, "\(histogram.nanCount) NaN", anchor: "end"))
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n")
    }

    /// Bars per expert: the reference's count in grey beside the candidate's.
    static func pairedBars(
        reference: [Int], candidate: [Int], title: String, color: String
    ) -> String {
        let width = 540.0
        let height = 230.0
        let (left, right, top, bottom) = (50.0, 15.0, 28.0, 45.0)
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let tallest = max(1, (reference + candidate).max() ?? 1)
        let slot = plotWidth / Double(max(1, reference.count))

        var svg = [svgOpen(width, height)]
        svg.append(text(left, 16, title, anchor: "start", cssClass: "title"))
        svg.append(line(left, top, left, top + plotHeight, "axis"))
        svg.append(line(left, top + plotHeight, left + plotWidth, top + plotHeight, "axis"))
        svg.append(text(left - 6, top + 4, "\(tallest)", anchor: "end"))
        svg.append(text(left - 6, top + plotHeight + 4, "0", anchor: "end"))
        for expert in reference.indices {
            let pairs = [(reference[expert], "#9e9e9e", 0.0), (candidate[expert], color, 0.5)]
            for (count, fill, offset) in pairs {
                let barHeight = plotHeight * Double(count) / Double(tallest)
                svg.append(
                    "<rect x=\"\(fmt(left + (Double(expert) + offset) * slot))\" "
                        + "y=\"\(fmt(top + plotHeight - barHeight))\" "
                        + "width=\"\(fmt(max(0.5, slot / 2 - 0.5)))\" "
                        + "height=\"\(fmt(barHeight))\" fill=\"\(fill)\"><title>expert "
                        + "\(expert): \(count)</title></rect>")
            }
        }
        let labelStep = max(1, reference.count / 16)
        for expert in stride(from: 0, to: reference.count, by: labelStep) {
            svg.append(
                text(
                    left + (Double(expert) + 0.5) * slot, top + plotHeight + 16, "\(expert)",
                    anchor: "middle"))
        }
        svg.append(text(left + plotWidth / 2, height - 8, "expert", anchor: "middle"))
        svg.append("</svg>")
        return svg.joined(separator: "\n")
    }

    private static func binLabel(_ histogram: Histogram, _ bin: Int) -> String {
        let edges = histogram.edges
        if bin == 0 { return "<\(ReportFormat.number(edges[0]))" }
        if bin == edges.count { return "≥\(ReportFormat.number(edges[edges.count - 1]))" }
        return "\(ReportFormat.number(edges[bin - 1]))–\(ReportFormat.number(edges[bin]))"
    }

    private static func decade(_ edge: Double) -> Int? {
        let exponent = log10(edge)
        let rounded = exponent.rounded()
        return abs(exponent - rounded) < 1e-9 ? Int(rounded) : nil
    }

    private static func svgOpen(_ width: Double, _ height: Double) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(fmt(width))\" "
            + "height=\"\(fmt(height))\" viewBox=\"0 0 \(fmt(width)) \(fmt(height))\">"
    }

    private static func line(
        _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ cssClass: String?,
        stroke: String? = nil
    ) -> String {
        let style = cssClass.map { " class=\"\($0)\"" } ?? ""
        let paint = stroke.map { " stroke=\"\($0)\" stroke-width=\"2\"" } ?? ""
        return "<line x1=\"\(fmt(x1))\" y1=\"\(fmt(y1))\" x2=\"\(fmt(x2))\" y2=\"\(fmt(y2))\""
            + "\(style)\(paint)/>"
    }

    private static func text(
        _ x: Double, _ y: Double, _ content: String, anchor: String, cssClass: String? = nil
    ) -> String {
        let style = cssClass.map { " class=\"\($0)\"" } ?? ""
        return "<text x=\"\(fmt(x))\" y=\"\(fmt(y))\" text-anchor=\"\(anchor)\"\(style)>"
            + "\(ReportFormat.xmlEscaped(content))</text>"
    }

    private static func fmt(_ value: Double) -> String { String(format: "%.1f", value) }
}
