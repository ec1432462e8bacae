import BlockcastPipelines
import Foundation
import Testing

@Suite struct LogitRowTests {
    private func compare(_ y: [Float], _ c: [Float]) -> PositionComparison {
        y.withUnsafeBufferPointer { a in
            c.withUnsafeBufferPointer { b in LogitRow.compare(reference: a, candidate: b) }
        }
    }

    private func top(_ row: [Float], _ k: Int) -> [Int] {
        row.withUnsafeBufferPointer { LogitRow.topIndices($0, count: k) }
    }

    @Test func identicalRowsHaveZeroKLAndFullAgreement() {
        var generator = SystemRandomNumberGenerator()
        let row = (0..<1000).map { _ in Float.random(in: -20...20, using: &generator) }
        let result = compare(row, row)
        #expect(result.kl == 0)
        #expect(result.squaredError == 0)
        #expect(result.maxAbsError == 0)
        #expect(result.cosine == 1)
        #expect(result.top1Match)
        #expect(result.top5Overlap == 5)
        #expect(result.referenceLogProbability == result.candidateLogProbability)
    }

    /// KL of two-point distributions against the closed form p ln(p/q) + (1-p) ln((1-p)/(1-q)).
    @Test(arguments: [(0.5, 0.25), (0.9, 0.1), (0.01, 0.5), (0.3, 0.3001)])
    func twoPointKLMatchesTheClosedForm(p: Double, q: Double) {
        let y = [Float(log(p)), Float(log(1 - p))]
        let c = [Float(log(q)), Float(log(1 - q))]
        // The float32 logits define slightly different p and q; use those in the closed form.
        let pp = exp(Double(y[0])) / (exp(Double(y[0])) + exp(Double(y[1])))
        let qq = exp(Double(c[0])) / (exp(Double(c[0])) + exp(Double(c[1])))
        let expected = pp * log(pp / qq) + (1 - pp) * log((1 - pp) / (1 - qq))
        let measured = compare(y, c).kl
        #expect(abs(measured - expected) <= 1e-12 * max(1, expected), "p \(p) q \(q)")
    }

    @Test func klIsInvariantToShiftingTheLogits() {
        let y: [Float] = [0.5, -1, 2, 3.25, 0]
        let shifted = y.map { $0 + 100 }
        #expect(compare(y, shifted).kl < 1e-12)
        #expect(compare(y, shifted).top5Overlap == 5)
    }

    @Test func klOfAKnownThreePointCase() {
        // P = (1/2, 1/4, 1/4), Q = (1/4, 1/4, 1/2): KL = 1/2 ln 2 + 1/4 ln(1/2) = 1/4 ln 2.
        let y: [Float] = [log(2), 0, 0]
        let c: [Float] = [0, 0, log(2)]
        #expect(abs(compare(y, c).kl - 0.25 * log(2.0)) < 1e-7)
    }

    @Test(
        arguments: [
            ([1, 0], [0, 1], 0.0),
            ([1, 2, 3], [2, 4, 6], 1.0),
            ([1, 0], [-1, 0], -1.0),
            ([3, 4], [4, 3], 0.96),
            ([0, 0], [0, 0], 1.0),
            ([0, 0], [1, 0], 0.0),
        ] as [([Float], [Float], Double)])
    func cosineOfKnownPairs(y: [Float], c: [Float], expected: Double) {
        #expect(abs(compare(y, c).cosine - expected) < 1e-12, "\(y) vs \(c)")
    }

    @Test func errorMagnitudes() {
        let result = compare([3, 4], [3, 4.5])
        #expect(result.squaredError == 0.25)
        #expect(result.squaredReference == 25)
        #expect(result.maxAbsError == 0.5)
    }

    @Test(
        arguments: [
            ([1, 3, 3, 2, 3], 3, [1, 2, 4]),
            ([1, 3, 3, 2, 3], 1, [1]),
            ([5, 5, 5, 5], 2, [0, 1]),
            ([.nan, 1, 2], 1, [2]),
            ([.nan, .nan, 1], 3, [2, 0, 1]),
            ([-.infinity, 0, .infinity], 2, [2, 1]),
            ([2, 1], 5, [0, 1]),
            ([0, 1, 2, 3, 4, 5, 6], 5, [6, 5, 4, 3, 2]),
        ] as [([Float], Int, [Int])])
    func topIndicesBreakTiesTowardTheLowerIndex(row: [Float], k: Int, expected: [Int]) {
        #expect(top(row, k) == expected, "row \(row) k \(k)")
    }

    @Test func topFiveOverlapCountsSharedTokens() {
        // Reference top five: 7 6 5 4 3. Candidate top five: 7 6 5 0 1 (three shared).
        let y: [Float] = [0, 1, 2, 3, 4, 5, 6, 7]
        let c: [Float] = [6.5, 6.4, 0, 0, 0, 7, 8, 9]
        let result = compare(y, c)
        #expect(result.top5Overlap == 3)
        #expect(result.top1Match)
        #expect(result.greedyToken == 7)
    }

    @Test func tiedTop1UsesTheLowerIndexInBothRows() {
        #expect(compare([1, 2, 2], [1, 2, 2]).top1Match)
        #expect(!compare([1, 2, 2], [1, 2, 2.0001]).top1Match)
    }

    @Test func nonFiniteCandidateGivesNaNNeverAGoodValue() {
        let result = compare([1, 2, 3], [1, .nan, 3])
        #expect(result.kl.isNaN)
        #expect(result.cosine.isNaN)
        #expect(result.maxAbsError.isNaN)
        #expect(result.nonFiniteCount == 1)
        #expect(compare([1, 2, 3], [1, .infinity, 3]).kl.isNaN)
    }

    @Test func logSumExpIsStableForLargeLogits() {
        let row: [Float] = [1000, 1000]
        let lse = row.withUnsafeBufferPointer(LogitRow.logSumExp)
        #expect(abs(lse - (1000 + log(2.0))) < 1e-9)
    }
}
