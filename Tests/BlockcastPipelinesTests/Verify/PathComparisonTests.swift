import BlockcastFormats
import BlockcastPipelines
import Foundation
import Testing

@Suite struct PathComparisonTests {
    private func comparison(vocabulary: Int = 4) -> PathComparison {
        PathComparison(
            vocabularySize: vocabulary, moeLayers: [], expertCount: 0, expertsPerToken: 0)
    }

    @Test func identicalTracesGiveThePerfectScores() {
        var generator = SystemRandomNumberGenerator()
        let logits = (0..<(6 * 50)).map { _ in Float.random(in: -5...5, using: &generator) }
        let trace = SequenceTrace(positions: 6, logits: logits)
        var comparison = comparison(vocabulary: 50)
        comparison.add(reference: trace, candidate: trace)
        let metrics = comparison.finish()

        #expect(metrics.positions == 6)
        #expect(metrics[.klMean] == 0)
        #expect(metrics[.klMax] == 0)
        #expect(metrics[.logitsRelRMS] == 0)
        #expect(metrics[.logitsMaxAbs] == 0)
        #expect(metrics[.cosineMin] == 1)
        #expect(metrics[.top1] == 1)
        #expect(metrics[.top5] == 1)
        #expect(metrics[.pplRatio] == 1)
        #expect(metrics.klHistogram.counts[0] == 6)
        #expect(metrics[.routing] == nil, "no MoE layers, so no routing metric")
        #expect(metrics[.driftMax] == nil, "no block states were given")
    }

    /// Reference uniform over 4 tokens (greedy token 0, probability 1/4); candidate gives token
    /// 0 probability 1/2. Greedy perplexity: 4 against 2. The last position is excluded, so
    /// making it very different must not change the result.
    @Test func greedyPerplexityScoresAllButTheLastPosition() {
        let uniform: [Float] = [0, 0, 0, 0]
        let half: [Float] = [Float(log(3.0)), 0, 0, 0]  // e^ln3 / (3 + 3) = 1/2
        let reference = SequenceTrace(positions: 3, logits: uniform + uniform + uniform)
        let candidate = SequenceTrace(positions: 3, logits: half + half + [0, 0, 0, 50])
        var comparison = comparison()
        comparison.add(reference: reference, candidate: candidate)
        let metrics = comparison.finish()

        #expect(metrics.scoredPositions == 2)
        #expect(abs(metrics[.pplReference]! - 4) < 1e-6)
        #expect(abs(metrics[.pplCandidate]! - 2) < 1e-6)
        #expect(abs(metrics[.pplRatio]! - 0.5) < 1e-6)
        #expect(abs(metrics[.top1]! - 2.0 / 3) < 1e-12, "the last position disagrees")
    }

    @Test func relativeRMSPoolsEveryPosition() {
        // Errors 0.5 and 0 over norms 5 and 5: sqrt(0.25 / 50).
        let reference = SequenceTrace(positions: 2, logits: [3, 4, 4, 3])
        let candidate = SequenceTrace(positions: 2, logits: [3, 4.5, 4, 3])
        var comparison = comparison(vocabulary: 2)
        comparison.add(reference: reference, candidate: candidate)
        let metrics = comparison.finish()
        #expect(abs(metrics[.logitsRelRMS]! - (0.25 / 50.0).squareRoot()) < 1e-12)
        #expect(metrics[.logitsMaxAbs] == 0.5)
        #expect(metrics[.cosineMean]! < 1 && metrics[.cosineMin]! < metrics[.cosineMean]!)
    }

    @Test(
        arguments: [
            (Array(1...100).map(Double.init), 0.99, 99.0),
            (Array(1...10).map(Double.init), 0.99, 10.0),
            ([5.0], 0.99, 5.0),
            ([3, 1, 2], 0.5, 2.0),
            ([1, .nan, 2], 0.99, .nan),
        ] as [([Double], Double, Double)])
    func nearestRankPercentile(values: [Double], q: Double, expected: Double) {
        let measured = PathComparison.nearestRankPercentile(values, q)
        #expect(measured == expected || (measured.isNaN && expected.isNaN), "\(values) q \(q)")
    }

    /// Two MoE layers (blocks 1 and 2), 8 experts, 2 per token, 3 tokens.
    @Test func routingAgreementWorstLayerAndLoad() {
        let logits = [Float](repeating: 0, count: 3 * 4)
        let states: [[Float]] = [[1, 1, 1], [2, 2, 2], [3, 3, 3]]
        let reference = SequenceTrace(
            positions: 3, logits: logits, blockStates: states,
            routing: [[0, 1, 2, 3, 4, 5], [0, 1, 0, 1, 0, 1]])
        let candidate = SequenceTrace(
            positions: 3, logits: logits, blockStates: states,
            routing: [[1, 0, 2, 3, 4, 5], [0, 7, 6, 7, 0, 1]])
        var comparison = PathComparison(
            vocabularySize: 4, moeLayers: [1, 2], expertCount: 8, expertsPerToken: 2)
        comparison.add(reference: reference, candidate: candidate)
        let metrics = comparison.finish()

        // Layer 1 matches all 6 choices (order does not matter); layer 2 matches 3 of 6.
        #expect(metrics[.routing] == 9.0 / 12)
        #expect(metrics[.routingMinLayer] == 0.5)
        #expect(
            metrics.routingByLayer == [
                RoutingAgreement(layer: 1, agreement: 1),
                RoutingAgreement(layer: 2, agreement: 0.5),
            ])
        #expect(metrics.expertLoad[1].reference == [3, 3, 0, 0, 0, 0, 0, 0])
        #expect(metrics.expertLoad[1].candidate == [2, 1, 0, 0, 0, 0, 1, 2])
        // Expert 1 lost 2 of 3 tokens, expert 7 gained 2: shift 2/3.
        #expect(abs(metrics[.loadMaxShift]! - 2.0 / 3) < 1e-12)
        #expect(metrics[.driftMax] == 0)
    }

    @Test func driftIsTheRelativeRMSOfEachBlock() {
        let logits = [Float](repeating: 0, count: 2 * 4)
        let reference = SequenceTrace(
            positions: 2, logits: logits, blockStates: [[3, 4, 0, 0], [1, 0, 0, 0]])
        let candidate = SequenceTrace(
            positions: 2, logits: logits, blockStates: [[3, 4, 0, 0.5], [1, 0, 0, 1]])
        var comparison = comparison()
        comparison.add(reference: reference, candidate: candidate)
        comparison.add(reference: reference, candidate: candidate)
        let metrics = comparison.finish()
        #expect(metrics.drift == [0.1, 1])
        #expect(metrics[.driftMax] == 1)
    }

    @Test func aReferenceWithoutTraceDropsTheTraceMetrics() {
        let logits: [Float] = [1, 2, 3, 4, 4, 3, 2, 1]
        let full = SequenceTrace(positions: 2, logits: logits, blockStates: [[1, 2]], routing: [])
        var comparison = comparison()
        comparison.add(reference: SequenceTrace(positions: 2, logits: logits), candidate: full)
        let metrics = comparison.finish()
        #expect(metrics[.klMean] == 0)
        #expect(metrics[.driftMax] == nil)
        #expect(metrics.drift.isEmpty)
        let missing = Metric.allCases.filter { metrics[$0] == nil }
        #expect(missing.allSatisfy { $0.needsReferenceTrace }, "missing: \(missing)")
    }

    @Test func resultDoesNotDependOnTheThreadCount() {
        var generator = SystemRandomNumberGenerator()
        let reference = (0..<(64 * 300)).map { _ in Float.random(in: -8...8, using: &generator) }
        let candidate = reference.map { $0 + Float.random(in: -0.1...0.1, using: &generator) }
        let saved = Parallelism.threadCount
        defer { Parallelism.threadCount = saved }

        var results: [PathMetrics] = []
        for threads in [1, 2, 5] {
            Parallelism.threadCount = threads
            var comparison = comparison(vocabulary: 300)
            comparison.add(
                reference: SequenceTrace(positions: 64, logits: reference),
                candidate: SequenceTrace(positions: 64, logits: candidate))
            results.append(comparison.finish())
        }
        #expect(results[0] == results[1])
        #expect(results[0] == results[2])
    }

    @Test func histogramBinsAreHalfOpenAndCountNaNApart() {
        var histogram = Histogram(lowExponent: -2, highExponent: 0, perDecade: 1)
        #expect(histogram.edges == [0.01, 0.1, 1])
        for value in [0, 0.005, 0.01, 0.05, 0.1, 0.99, 1, 7, .nan] { histogram.add(value) }
        #expect(histogram.counts == [2, 2, 2, 2])
        #expect(histogram.nanCount == 1)
        #expect(histogram.total == 9)
    }
}
