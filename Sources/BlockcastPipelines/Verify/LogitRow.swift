import Foundation

/// The comparison of one position's two logit rows: everything the per-position metrics need,
/// computed in Double.
package struct PositionComparison: Sendable, Equatable {
    /// `Σ (y - ŷ)²` over the row.
    package var squaredError: Double = 0
    /// `Σ y²` over the reference row.
    package var squaredReference: Double = 0
    /// Largest `|y - ŷ|` in the row.
    package var maxAbsError: Double = 0
    /// Cosine similarity of the two rows (1 when both are zero, 0 when only one is).
    package var cosine: Double = 1
    /// KL(P_ref ‖ P_cand) in nats, where P is the softmax of the row; NaN when either row
    /// holds a non-finite logit.
    package var kl: Double = 0
    /// Whether both rows have the same first token.
    package var top1Match: Bool = true
    /// How many of the reference's top five tokens are among the candidate's top five.
    package var top5Overlap: Int = 0
    /// The reference's first token: its greedy choice for the next position.
    package var greedyToken: Int = 0
    /// `log P_ref(greedyToken)`.
    package var referenceLogProbability: Double = 0
    /// `log P_cand(greedyToken)`.
    package var candidateLogProbability: Double = 0
    /// Logits in either row that are infinite or NaN.
    package var nonFiniteCount: Int = 0
}

/// Arithmetic on single logit rows, shared by the metrics and their tests.
package enum LogitRow {
    /// The positions of the `count` largest entries, largest first. Ties go to the lower
    /// index, as the router breaks them; NaN ranks below every number.
    package static func topIndices(_ row: UnsafeBufferPointer<Float>, count: Int) -> [Int] {
        let k = min(count, row.count)
        var best: [Int] = []
        best.reserveCapacity(k + 1)
        for i in 0..<row.count {
            if best.count == k, let last = best.last, !ranksAbove(i, last, in: row) { continue }

            // Scanning in index order means an equal value never moves ahead of an earlier one.
            var slot = best.count
            while slot > 0 && ranksAbove(i, best[slot - 1], in: row) { slot -= 1 }
            best.insert(i, at: slot)
            if best.count > k { best.removeLast() }
        }
        return best
    }

    /// `log Σ exp(row)`, in Double, shifted by the row's maximum so nothing overflows; NaN when
    /// the row holds a non-finite value, `-inf` for an empty row.
    package static func logSumExp(_ row: UnsafeBufferPointer<Float>) -> Double {
        var maximum = -Double.infinity
        for value in row {
            guard value.isFinite else { return .nan }
            maximum = max(maximum, Double(value))
        }
        guard maximum > -Double.infinity else { return -.infinity }

        var sum = 0.0
        for value in row { sum += Foundation.exp(Double(value) - maximum) }
        return maximum + Foundation.log(sum)
    }

    /// Compares the reference row `y` with the candidate row `ŷ` of one position.
    package static func compare(
        reference y: UnsafeBufferPointer<Float>, candidate c: UnsafeBufferPointer<Float>
    ) -> PositionComparison {
        precondition(y.count == c.count && y.count > 0, "logit rows must match and be non-empty")
        var result = PositionComparison()

        var dot = 0.0
        var squaredCandidate = 0.0
        for i in 0..<y.count {
            let a = Double(y[i])
            let b = Double(c[i])
            if !y[i].isFinite || !c[i].isFinite { result.nonFiniteCount += 1 }
            let difference = a - b
            result.squaredError += difference * difference
            result.squaredReference += a * a
            squaredCandidate += b * b
            dot += a * b
            // `max` would drop a NaN difference; a row with NaN must show as NaN.
            let magnitude = abs(difference)
            if magnitude.isNaN || magnitude > result.maxAbsError { result.maxAbsError = magnitude }
        }
        result.cosine = cosine(
            dot: dot, squaredA: result.squaredReference, squaredB: squaredCandidate)

        let referenceTop = topIndices(y, count: 5)
        let candidateTop = topIndices(c, count: 5)
        result.top1Match = referenceTop.first == candidateTop.first
        result.top5Overlap = referenceTop.filter(candidateTop.contains).count
        result.greedyToken = referenceTop[0]

        let referenceLSE = logSumExp(y)
        let candidateLSE = logSumExp(c)
        result.referenceLogProbability = Double(y[result.greedyToken]) - referenceLSE
        result.candidateLogProbability = Double(c[result.greedyToken]) - candidateLSE
        result.kl = kullbackLeibler(
            reference: y, candidate: c, referenceLSE: referenceLSE, candidateLSE: candidateLSE)
        return result
    }

    /// `Σ p_i (log p_i - log q_i)` with `log p_i = y_i - lse(y)`; written as differences of
    /// logits so that identical rows give exactly 0.
    private static func kullbackLeibler(
        reference y: UnsafeBufferPointer<Float>, candidate c: UnsafeBufferPointer<Float>,
        referenceLSE: Double, candidateLSE: Double
    ) -> Double {
        guard referenceLSE.isFinite && candidateLSE.isFinite else { return .nan }
        let shift = referenceLSE - candidateLSE
        var sum = 0.0
        for i in 0..<y.count {
            let logP = Double(y[i]) - referenceLSE
            let p = Foundation.exp(logP)
            if p == 0 { continue }
            sum += p * ((Double(y[i]) - Double(c[i])) - shift)
        }
        // KL is never negative; rounding can leave a few ulps below zero.
        return max(0, sum)
    }

    private static func cosine(dot: Double, squaredA: Double, squaredB: Double) -> Double {
        guard !(dot.isNaN || squaredA.isNaN || squaredB.isNaN) else { return .nan }
        if squaredA == 0 && squaredB == 0 { return 1 }
        if squaredA == 0 || squaredB == 0 { return 0 }
        // sqrt(a·a) is exactly a in IEEE arithmetic, so identical rows give exactly 1.
        let value = dot / (squaredA * squaredB).squareRoot()
        return min(1, max(-1, value))
    }

    /// Whether entry `i` ranks strictly above entry `j` (larger value, or equal value and
    /// lower index; NaN below everything).
    private static func ranksAbove(_ i: Int, _ j: Int, in row: UnsafeBufferPointer<Float>) -> Bool {
        let a = row[i]
        let b = row[j]
        if a.isNaN != b.isNaN { return b.isNaN }
        if a.isNaN || a == b { return i < j }
        return a > b
    }
}
