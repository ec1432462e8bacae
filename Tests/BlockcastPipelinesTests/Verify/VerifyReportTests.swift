import BlockcastPipelines
import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite struct VerifyReportTests {
    /// A report with one passing candidate and one failing, with every kind of gate outcome.
    static func sample(klMax: Double = 0.25) -> VerifyReport {
        var histogram = Histogram(lowExponent: -9, highExponent: 1, perDecade: 4)
        for value in [0, 1e-6, 2e-6, 3e-4, 0.01] { histogram.add(value) }
        let good = PathMetrics(
            positions: 48, scoredPositions: 46, nonFiniteLogits: 0,
            values: [.klMean: 1e-6, .top1: 1, .cosineMin: 0.99999, .routing: 1, .driftMax: 2e-7],
            klHistogram: histogram, drift: [1e-7, 2e-7],
            routingByLayer: [RoutingAgreement(layer: 1, agreement: 1)],
            expertLoad: [ExpertLoad(layer: 1, reference: [10, 14], candidate: [10, 14])])
        var bad = good
        bad.values = [.klMean: 0.02, .klMax: klMax, .top1: 0.875, .routing: 0.9375]
        bad.drift = [0.01, 0.08]
        bad.routingByLayer = [RoutingAgreement(layer: 1, agreement: 0.9375)]
        bad.expertLoad = [ExpertLoad(layer: 1, reference: [10, 14], candidate: [13, 11])]

        let klGate = Gate(.klMean, .atMost, 1e-3)
        let top1Gate = Gate(.top1, .atLeast, 0.99)
        let driftGate = Gate(.driftMax, .atMost, 0.5)
        let candidates = [
            CandidateReport(
                name: "sharded fp32 ×2", path: .sharded, computePath: .fp32, worldSize: 2,
                source: "ranks/", comparedWith: "fp32 of ckpt/, unsharded", metrics: good,
                gates: [klGate, top1Gate].map { GateOutcome(gate: $0, metrics: good) }),
            CandidateReport(
                name: "fp8-gemm", path: .fp8Gemm, computePath: .fp8Gemm, worldSize: 1,
                source: "what-if fp8 <fp32 scales> & more", comparedWith: "fp32 of ckpt/",
                metrics: bad,
                gates: [klGate, top1Gate, driftGate].map { GateOutcome(gate: $0, metrics: bad) }),
        ]
        return VerifyReport(
            tool: "blockcast 0.1.0",
            reference: ReferenceSummary(checkpoint: "ckpt/", path: .fp32),
            inputs: InputSummary(source: "seed 7", sequences: 2, positions: 48, longest: 24),
            candidates: candidates)
    }

    @Test func jsonRoundTrips() throws {
        let report = Self.sample()
        let decoded = try VerifyReport(json: report.jsonData())
        #expect(decoded == report)
        #expect(decoded.jsonData() == report.jsonData(), "encoding must be deterministic")
    }

    @Test func jsonSpellsNonFiniteNumbersAsStrings() throws {
        let report = Self.sample(klMax: .infinity)
        let text = String(decoding: report.jsonData(), as: UTF8.self)
        #expect(text.contains(#""kl.max" : "inf""#))
        let decoded = try VerifyReport(json: report.jsonData())
        #expect(decoded.candidates[1].metrics[.klMax] == .infinity)
    }

    @Test func jsonHasTheDocumentedTopLevelFields() throws {
        let object = try JSONSerialization.jsonObject(with: Self.sample().jsonData())
        let root = try #require(object as? [String: Any])
        #expect(root["format"] as? String == "blockcast-verify-report")
        #expect(root["version"] as? Int == 1)
        #expect(root["passed"] as? Bool == false)
        let candidates = try #require(root["candidates"] as? [[String: Any]])
        let gates = try #require(candidates[1]["gates"] as? [[String: Any]])
        #expect(gates[0]["gate"] as? String == "kl.mean <= 0.001")
        #expect(gates[0]["status"] as? String == "failed")
        #expect(gates[2]["status"] as? String == "skipped")
        #expect(gates[2]["measured"] is NSNull)
    }

    @Test func readingRefusesOtherFormatsAndNewerVersions() {
        let newer = #"{"format": "blockcast-verify-report", "version": 99}"#
        #expect(throws: VerifyError.self) { try VerifyReport(json: Data(newer.utf8)) }
        #expect(throws: VerifyError.self) { try VerifyReport(json: Data("{}".utf8)) }
    }

    @Test func passedCountsFailuresButNotSkips() {
        let report = Self.sample()
        #expect(!report.passed)
        #expect(
            report.failedGates.map(\.outcome.gate.condition)
                == ["kl.mean <= 0.001", "top1 >= 0.99"])
        #expect(report.failedGates.allSatisfy { $0.candidate == "fp8-gemm" })
    }

    @Test func tableNamesTheRunTheCandidatesWereComparedWith() {
        var report = Self.sample()
        #expect(
            report.table().hasPrefix(
                "reference: fp32 of ckpt/ (rank files: the same path unsharded)\n"))
        report.candidates = [report.candidates[0]]
        #expect(report.table().hasPrefix("reference: fp32 of ckpt/, unsharded\n"))
    }

    @Test func tableNamesEachFailingGateWithBoundAndValue() {
        let table = Self.sample().table()
        #expect(table.contains("result: FAIL, 2 of 5 gates failed, 1 skipped"))
        #expect(table.contains("fp8-gemm: kl.mean = 0.02 fails kl.mean <= 0.001"))
        #expect(table.contains("fp8-gemm: top1 = 0.875 fails top1 >= 0.99"))
        #expect(table.contains("routing lowest in layer 1 (0.9375)"))
        let row = table.split(separator: "\n").first { $0.hasPrefix("sharded fp32 ×2") }
        #expect(row?.contains("0.999990") == true, "cosine just below 1 must not print as 1")
        #expect(table.split(separator: "\n").allSatisfy { $0.last != " " })
    }

    @Test func junitHasOneCaseperGateWithFailuresAndSkips() throws {
        let xml = Self.sample().junitXML()
        let document = try XMLDocument(xmlString: xml, options: [])
        let root = try #require(document.rootElement())
        #expect(root.name == "testsuites")
        #expect(root.attribute(forName: "tests")?.stringValue == "5")
        #expect(root.attribute(forName: "failures")?.stringValue == "2")
        #expect(root.attribute(forName: "skipped")?.stringValue == "1")

        let suites = root.elements(forName: "testsuite")
        #expect(
            suites.map { $0.attribute(forName: "name")?.stringValue } == [
                "sharded fp32 ×2", "fp8-gemm",
            ])
        let cases = suites[1].elements(forName: "testcase")
        #expect(cases.count == 3)
        #expect(cases[0].attribute(forName: "name")?.stringValue == "kl.mean <= 0.001")
        let failure = try #require(cases[0].elements(forName: "failure").first)
        #expect(
            failure.attribute(forName: "message")?.stringValue
                == "kl.mean = 0.02 fails kl.mean <= 0.001")
        #expect(cases[2].elements(forName: "skipped").count == 1)
        #expect(suites[0].elements(forName: "testcase").allSatisfy { $0.childCount == 0 })

        let properties = try #require(suites[1].elements(forName: "properties").first)
        let source = properties.elements(forName: "property").first {
            $0.attribute(forName: "name")?.stringValue == "source"
        }
        #expect(
            source?.attribute(forName: "value")?.stringValue
                == "what-if fp8 <fp32 scales> & more")
    }

    @Test func htmlIsSelfContainedWithTheCharts() {
        let html = Self.sample().html()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("FAIL"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 5, "drift, 2 KL, 2 load")
        #expect(html.contains("Per-layer drift"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("<link"))
        // The only URL is the SVG namespace; nothing is fetched.
        let urls = html.components(separatedBy: "http").count - 1
        let namespaces = html.components(separatedBy: "http://www.w3.org/2000/svg").count - 1
        #expect(urls == namespaces)
        #expect(html.contains("what-if fp8 &lt;fp32 scales&gt; &amp; more"))
    }
}
