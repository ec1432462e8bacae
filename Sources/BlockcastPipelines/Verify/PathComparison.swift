import BlockcastFormats
import Foundation

/// Accumulates the comparison of a candidate with its reference, one sequence at a time, and
/// turns it into ``PathMetrics``.
///
/// Memory grows with one sequence's logits plus one Double per position, not with the batch.
/// Positions are compared in parallel; every sum is then taken in position order, so the
/// result does not depend on the thread count.
public struct PathComparison: Sendable {
    private let vocabularySize: Int
    private let moeLayers: [Int]
    private let expertCount: Int
    private let expertsPerToken: Int

    private var positions = 0
    private var nonFinite = 0
    private var squaredError = 0.0
    private var squaredReference = 0.0
    private var maxAbsError = 0.0
    private var cosines: [Double] = []
    private var kls: [Double] = []
    private var top1Matches = 0
    private var top5Overlaps = 0
    private var scoredPositions = 0
    private var referenceLogProbabilitySum = 0.0
    private var candidateLogProbabilitySum = 0.0

    private var tracesComplete = true
    private var blockSquaredError: [Double] = []
    private var blockSquaredReference: [Double] = []
    private var routingMatches: [Int]
    private var routingChoices: [Int]
    private var referenceLoad: [[Int]]
    private var candidateLoad: [[Int]]

    /// Starts an empty comparison.
    /// - Parameters:
    ///   - vocabularySize: the width of a logit row.
    ///   - moeLayers: the block indices of the MoE layers, in the order traces list them.
    ///   - expertCount: routed experts per MoE layer.
    ///   - expertsPerToken: experts each token chooses in each MoE layer.
    public init(vocabularySize: Int, moeLayers: [Int], expertCount: Int, expertsPerToken: Int) {
        precondition(vocabularySize > 0)
        self.vocabularySize = vocabularySize
        self.moeLayers = moeLayers
        self.expertCount = expertCount
        self.expertsPerToken = expertsPerToken
        routingMatches = Array(repeating: 0, count: moeLayers.count)
        routingChoices = Array(repeating: 0, count: moeLayers.count)
        referenceLoad = Array(
            repeating: Array(repeating: 0, count: expertCount), count: moeLayers.count)
        candidateLoad = referenceLoad
    }

    /// Adds one sequence, run through both models.
    ///
    /// Both traces must describe the same tokens; a trace without block states or routing
    /// (a reference from a logits file) drops the drift and routing metrics from the result.
    public mutating func add(reference: SequenceTrace, candidate: SequenceTrace) {
        precondition(reference.positions == candidate.positions, "traces of different tokens")
        precondition(reference.logits.count == reference.positions * vocabularySize)
        precondition(candidate.logits.count == reference.logits.count)
        addLogits(reference: reference.logits, candidate: candidate.logits, reference.positions)

        guard tracesComplete && reference.isComplete && candidate.isComplete else {
            tracesComplete = false
            return
        }
        addStates(reference: reference.blockStates, candidate: candidate.blockStates)
        addRouting(reference: reference.routing, candidate: candidate.routing)
    }

    private mutating func addLogits(reference: [Float], candidate: [Float], _ count: Int) {
        let vocabulary = vocabularySize
        var rows = [PositionComparison](repeating: PositionComparison(), count: count)
        reference.withUnsafeBufferPointer { y in
            candidate.withUnsafeBufferPointer { c in
                rows.withUnsafeMutableBufferPointer { out in
                    parallelFor(count) { t in
                        let range = t * vocabulary..<(t + 1) * vocabulary
                        out[t] = LogitRow.compare(
                            reference: UnsafeBufferPointer(rebasing: y[range]),
                            candidate: UnsafeBufferPointer(rebasing: c[range]))
                    }
                }
            }
        }

        for (t, row) in rows.enumerated() {
            positions += 1
            nonFinite += row.nonFiniteCount
            squaredError += row.squaredError
            squaredReference += row.squaredReference
            if !maxAbsError.isNaN && !(row.maxAbsError <= maxAbsError) {
                maxAbsError = row.maxAbsError
            }
            cosines.append(row.cosine)
            kls.append(row.kl)
            if row.top1Match { top1Matches += 1 }
            top5Overlaps += row.top5Overlap

            // The last position predicts a token past the sequence; see formats/report.md.
            if t < count - 1 {
                scoredPositions += 1
                referenceLogProbabilitySum += row.referenceLogProbability
                candidateLogProbabilitySum += row.candidateLogProbability
            }
        }
    }

    private mutating func addStates(reference: [[Float]], candidate: [[Float]]) {
        precondition(reference.count == candidate.count, "traces with different block counts")
        if blockSquaredError.isEmpty {
            blockSquaredError = Array(repeating: 0, count: reference.count)
            blockSquaredReference = blockSquaredError
        }
        precondition(blockSquaredError.count == reference.count)

        for block in reference.indices {
            let y = reference[block]
            let c = candidate[block]
            precondition(y.count == c.count, "hidden states of different shapes")
            var error = 0.0
            var norm = 0.0
            for i in y.indices {
                let a = Double(y[i])
                let difference = a - Double(c[i])
                error += difference * difference
                norm += a * a
            }
            blockSquaredError[block] += error
            blockSquaredReference[block] += norm
        }
    }

    private mutating func addRouting(reference: [[Int]], candidate: [[Int]]) {
        precondition(reference.count == moeLayers.count && candidate.count == moeLayers.count)
        let k = expertsPerToken
        for layer in moeLayers.indices {
            let chosen = reference[layer]
            let other = candidate[layer]
            precondition(chosen.count == other.count && chosen.count % k == 0)
            for token in 0..<chosen.count / k {
                let mine = chosen[token * k..<(token + 1) * k]
                let theirs = other[token * k..<(token + 1) * k]
                routingMatches[layer] += mine.filter(theirs.contains).count
                routingChoices[layer] += k
                for expert in mine where expert < expertCount { referenceLoad[layer][expert] += 1 }
                for expert in theirs where expert < expertCount {
                    candidateLoad[layer][expert] += 1
                }
            }
        }
    }

    /// The metrics of everything added so far.
    public func finish() -> PathMetrics {
        var values: [Metric: Double] = [:]
        var histogram = Histogram(lowExponent: -9, highExponent: 1, perDecade: 4)
        for kl in kls { histogram.add(kl) }

        if positions > 0 {
            values[.logitsMaxAbs] = maxAbsError
            values[.logitsRelRMS] = relativeRMS(error: squaredError, norm: squaredReference)
            values[.cosineMin] = minimum(cosines)
            values[.cosineMean] = cosines.reduce(0, +) / Double(positions)
            values[.klMean] = kls.reduce(0, +) / Double(positions)
            values[.klP99] = Self.nearestRankPercentile(kls, 0.99)
            values[.klMax] = maximum(kls)
            values[.top1] = Double(top1Matches) / Double(positions)
            values[.top5] = Double(top5Overlaps) / Double(5 * positions)
        }
        if scoredPositions > 0 {
            let n = Double(scoredPositions)
            let reference = Foundation.exp(-referenceLogProbabilitySum / n)
            let candidate = Foundation.exp(-candidateLogProbabilitySum / n)
            values[.pplReference] = reference
            values[.pplCandidate] = candidate
            values[.pplRatio] = Foundation.exp(
                (referenceLogProbabilitySum - candidateLogProbabilitySum) / n)
        }

        var drift: [Double] = []
        var layers: [RoutingAgreement] = []
        var load: [ExpertLoad] = []
        if tracesComplete && positions > 0 {
            drift = zip(blockSquaredError, blockSquaredReference).map(relativeRMS)
            if !drift.isEmpty { values[.driftMax] = maximum(drift) }
            if !moeLayers.isEmpty {
                (values, layers, load) = routingMetrics(into: values)
            }
        }
        return PathMetrics(
            positions: positions, scoredPositions: scoredPositions, nonFiniteLogits: nonFinite,
            values: values, klHistogram: histogram, drift: drift, routingByLayer: layers,
            expertLoad: load)
    }

    private func routingMetrics(
        into values: [Metric: Double]
    ) -> ([Metric: Double], [RoutingAgreement], [ExpertLoad]) {
        var values = values
        let layers = moeLayers.indices.map { i in
            RoutingAgreement(
                layer: moeLayers[i],
                agreement: routingChoices[i] == 0
                    ? 1 : Double(routingMatches[i]) / Double(routingChoices[i]))
        }
        let choices = routingChoices.reduce(0, +)
        values[.routing] =
            choices == 0 ? 1 : Double(routingMatches.reduce(0, +)) / Double(choices)
        values[.routingMinLayer] = layers.map(\.agreement).min()

        let load = moeLayers.indices.map { i in
            ExpertLoad(
                layer: moeLayers[i], reference: referenceLoad[i], candidate: candidateLoad[i])
        }
        var shift = 0.0
        for i in load.indices {
            let tokens = Double(max(1, routingChoices[i] / max(1, expertsPerToken)))
            for (a, b) in zip(load[i].reference, load[i].candidate) {
                shift = max(shift, Double(abs(a - b)) / tokens)
            }
        }
        values[.loadMaxShift] = shift
        return (values, layers, load)
    }

    /// The value at rank `ceil(q·n)` (1-based) of the sorted values: the smallest value with
    /// at least a share `q` of the values at or below it. NaN sorts last, so any NaN reaches
    /// the top percentiles.
    package static func nearestRankPercentile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted { a, b in a.isNaN ? false : (b.isNaN ? true : a < b) }
        let rank = max(1, Int((q * Double(values.count)).rounded(.up)))
        return sorted[min(rank, sorted.count) - 1]
    }
}

/// `sqrt(error / norm)`, with 0/0 read as no error.
private func relativeRMS(error: Double, norm: Double) -> Double {
    if norm == 0 { return error == 0 ? 0 : .infinity }
    return (error / norm).squareRoot()
}

/// The smallest value, NaN if any value is NaN (a NaN must never look like a good result).
private func minimum(_ values: [Double]) -> Double {
    var result = Double.infinity
    for value in values {
        if value.isNaN { return .nan }
        result = min(result, value)
    }
    return result
}

/// The largest value, NaN if any value is NaN.
private func maximum(_ values: [Double]) -> Double {
    var result = -Double.infinity
    for value in values {
        if value.isNaN { return .nan }
        result = max(result, value)
    }
    return result
}
