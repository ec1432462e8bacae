/// The JUnit XML view of a report, so CI systems list every gate as a test case.
extension VerifyReport {
    /// One `<testsuite>` per candidate and one `<testcase>` per gate: a failed gate carries a
    /// `<failure>` whose message names the gate, its bound and the measured value; a gate on a
    /// metric this run did not measure carries `<skipped>`.
    public func junitXML() -> String {
        let all = candidates.flatMap(\.gates)
        let failures = all.filter { $0.status == .failed }.count
        let skips = all.filter { $0.status == .skipped }.count

        var lines = [#"<?xml version="1.0" encoding="UTF-8"?>"#]
        lines.append(
            #"<testsuites name="blockcast verify" tests="\#(all.count)" "#
                + #"failures="\#(failures)" errors="0" skipped="\#(skips)">"#)
        for candidate in candidates {
            lines += suite(candidate)
        }
        lines.append("</testsuites>")
        return lines.joined(separator: "\n") + "\n"
    }

    private func suite(_ candidate: CandidateReport) -> [String] {
        let e = ReportFormat.xmlEscaped
        let failures = candidate.gates.filter { $0.status == .failed }.count
        let skips = candidate.gates.filter { $0.status == .skipped }.count
        var lines = [
            #"  <testsuite name="\#(e(candidate.name))" tests="\#(candidate.gates.count)" "#
                + #"failures="\#(failures)" errors="0" skipped="\#(skips)">"#,
            "    <properties>",
        ]
        let properties = [
            ("path", candidate.path.rawValue), ("compute_path", candidate.computePath.rawValue),
            ("world_size", String(candidate.worldSize)), ("source", candidate.source),
            ("compared_with", candidate.comparedWith),
            ("positions", String(candidate.metrics.positions)),
        ]
        for (name, value) in properties {
            lines.append(#"      <property name="\#(name)" value="\#(e(value))"/>"#)
        }
        lines.append("    </properties>")

        let className = e("blockcast.verify.\(candidate.name)")
        for outcome in candidate.gates {
            let opening =
                #"    <testcase classname="\#(className)" name="\#(e(outcome.gate.condition))""#
            switch outcome.status {
            case .passed:
                lines.append(opening + "/>")
            case .failed:
                lines.append(opening + ">")
                lines.append(
                    #"      <failure type="gate" message="\#(e(outcome.explanation))">"#
                        + e(
                            "\(candidate.name) (\(candidate.source)) against "
                                + "\(candidate.comparedWith): \(outcome.explanation)")
                        + "</failure>")
                lines.append("    </testcase>")
            case .skipped:
                lines.append(opening + ">")
                lines.append(#"      <skipped message="\#(e(outcome.explanation))"/>"#)
                lines.append("    </testcase>")
            }
        }
        lines.append("  </testsuite>")
        return lines
    }
}
