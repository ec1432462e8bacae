import BlockcastPipelines
import Testing

@Suite struct GateTests {
    @Test(
        arguments: [
            ("kl.mean <= 1e-3", Metric.klMean, Gate.Comparison.atMost, 1e-3, nil),
            ("kl.mean<=1e-3", .klMean, .atMost, 1e-3, nil),
            ("  top1 >= 0.99 ", .top1, .atLeast, 0.99, nil),
            ("cosine.min>0.999", .cosineMin, .above, 0.999, nil),
            ("logits.rel_rms < 1E-5", .logitsRelRMS, .below, 1e-5, nil),
            ("routing == 1", .routing, .equal, 1, nil),
            ("sharded:routing==1", .routing, .equal, 1, VerifyPath.sharded),
            ("fp8-gemm: kl.p99 <= 0.05", .klP99, .atMost, 0.05, .fp8Gemm),
            ("ppl.ratio <= 1.01", .pplRatio, .atMost, 1.01, nil),
            ("logits.max_abs <= inf", .logitsMaxAbs, .atMost, .infinity, nil),
        ] as [(String, Metric, Gate.Comparison, Double, VerifyPath?)])
    func parsesWellFormedGates(
        text: String, metric: Metric, comparison: Gate.Comparison, bound: Double,
        path: VerifyPath?
    ) throws {
        let gate = try Gate(parsing: text)
        #expect(gate == Gate(metric, comparison, bound, path: path), "parsing '\(text)'")
    }

    @Test(arguments: [
        ("kl.mean", "no comparison"),
        ("kl.mean = 1e-3", "no comparison"),
        ("kl.avg <= 1e-3", "unknown metric 'kl.avg'"),
        ("<= 1e-3", "no metric"),
        ("kl.mean <= ", "bound '' is not a number"),
        ("kl.mean <= abc", "bound 'abc' is not a number"),
        ("kl.mean <= nan", "bound 'nan' is not a number"),
        ("fp16:kl.mean <= 1", "unknown path 'fp16'"),
        ("kl.mean <= 1 <= 2", "bound '1 <= 2' is not a number"),
    ])
    func rejectsMalformedGatesSayingWhy(text: String, fragment: String) {
        #expect {
            try Gate(parsing: text)
        } throws: { error in
            guard let error = error as? VerifyError else { return false }
            return error.code == .invalidGate && error.message.contains(fragment)
                && error.message.contains(text)
        }
    }

    @Test(
        arguments: [
            ("kl.mean <= 1e-3", 1e-3, true),
            ("kl.mean <= 1e-3", 1.0001e-3, false),
            ("kl.mean < 1e-3", 1e-3, false),
            ("top1 >= 0.99", 0.99, true),
            ("top1 >= 0.99", 0.9899, false),
            ("top1 > 0.99", 0.99, false),
            ("routing == 1", 1, true),
            ("routing == 1", 0.9999, false),
            ("kl.mean <= 1e-3", .nan, false),
            ("top1 >= 0.99", .nan, false),
            ("kl.max <= 10", .infinity, false),
        ] as [(String, Double, Bool)])
    func evaluatesTheBound(text: String, value: Double, holds: Bool) throws {
        #expect(try Gate(parsing: text).holds(value) == holds, "\(text) at \(value)")
    }

    @Test(arguments: [
        "kl.mean <= 0.001", "top1 >= 0.99", "sharded:logits.rel_rms <= 1e-05",
        "routing == 1",
    ])
    func textRoundTrips(text: String) throws {
        let gate = try Gate(parsing: text)
        #expect(gate.text == text)
        #expect(try Gate(parsing: gate.text) == gate)
    }

    @Test func outcomeOfAnUnmeasuredMetricIsSkipped() throws {
        let metrics = PathMetrics(
            positions: 1, scoredPositions: 0, nonFiniteLogits: 0, values: [.klMean: 0.5],
            klHistogram: Histogram(lowExponent: -1, highExponent: 0, perDecade: 1), drift: [],
            routingByLayer: [], expertLoad: [])
        let failed = GateOutcome(gate: try Gate(parsing: "kl.mean <= 0.1"), metrics: metrics)
        #expect(failed.status == .failed)
        #expect(failed.measured == 0.5)
        #expect(failed.explanation == "kl.mean = 0.5 fails kl.mean <= 0.1")
        let skipped = GateOutcome(gate: try Gate(parsing: "routing >= 0.9"), metrics: metrics)
        #expect(skipped.status == .skipped)
        #expect(skipped.measured == nil)
    }
}
