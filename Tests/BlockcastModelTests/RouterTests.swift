import BlockcastModel
import Foundation
import Testing

@Suite struct RouterTests {
    private func config(
        experts: Int, groups: Int, limited: Int, k: Int, score: ScoreFunction,
        routeScale: Double, bias: Bool
    ) -> ModelConfig {
        var config = ModelConfig()
        config.routedExpertCount = experts
        config.expertGroupCount = groups
        config.limitedGroupCount = limited
        config.activatedExpertCount = k
        config.scoreFunction = score
        config.routeScale = routeScale
        config.hasGateBias = bias
        return config
    }

    private func choose(_ raw: [Float], bias: [Float]?, _ config: ModelConfig) -> (
        experts: [Int], weights: [Float]
    ) {
        raw.withUnsafeBufferPointer { Router.choose(raw: $0, bias: bias, config: config) }
    }

    @Test(arguments: [
        ([1, 3, 3, 2] as [Float], 2, [1, 2]),
        ([5, 5, 5, 5], 3, [0, 1, 2]),
        ([0, -1, 7, 7, 7], 1, [2]),
        ([-Float.infinity, -Float.infinity, 0], 2, [2, 0]),
    ])
    func topIndicesBreakTiesTowardsTheLowerIndex(values: [Float], count: Int, expected: [Int]) {
        #expect(Router.topIndices(values, count: count) == expected)
    }

    /// Sigmoid scores, a correction bias and 4 groups of 2 scored by their two best members:
    /// groups 0 and 2…3 tie below group 3, and the tie goes to group 0, which shuts out expert 2
    /// although its biased score equals the second best.
    @Test func biasedGroupsUseTheirTopTwoSumAndUnbiasedNormalisedWeights() {
        let config = config(
            experts: 8, groups: 4, limited: 2, k: 2, score: .sigmoid, routeScale: 2, bias: true)
        let raw: [Float] = [0, 0, 0, 0, 0, 0, 0, Float(Foundation.log(3.0))]
        let bias: [Float] = [0.125, 0, 0.25, -0.125, 0.0625, 0.0625, 0, 0.25]
        // Scores 0.5 except s7 = 0.75; biased [.625 .5 .75 .375 .5625 .5625 .5 1.0];
        // group sums 1.125, 1.125, 1.125, 1.5 → keep groups 3 and 0.
        let choice = choose(raw, bias: bias, config)
        #expect(choice.experts == [7, 0])
        // Weights from the unbiased scores 0.75 and 0.5, normalised, times 2.
        #expect(abs(choice.weights[0] - 1.2) < 1e-6, "\(choice.weights)")
        #expect(abs(choice.weights[1] - 0.8) < 1e-6, "\(choice.weights)")
    }

    /// Softmax scores without a bias: a group's score is its largest member; groups 0 and 2
    /// tie on their maximum and the lower index wins the one allowed group.
    @Test func unbiasedGroupsUseTheirMaximumAndSoftmaxWeightsStayUnnormalised() {
        let config = config(
            experts: 6, groups: 3, limited: 1, k: 2, score: .softmax, routeScale: 1, bias: false)
        let raw: [Float] = [1, 3, 2, 2.5, 0, 3]
        let choice = choose(raw, bias: nil, config)
        #expect(choice.experts == [1, 0])

        let exps = raw.map { Foundation.exp(Double($0)) }
        let total = exps.reduce(0, +)
        #expect(abs(Double(choice.weights[0]) - exps[1] / total) < 1e-6)
        #expect(abs(Double(choice.weights[1]) - exps[0] / total) < 1e-6)
    }

    @Test func routeScaleMultipliesSoftmaxWeights() {
        let config = config(
            experts: 4, groups: 1, limited: 1, k: 1, score: .softmax, routeScale: 16, bias: false)
        let choice = choose([0, 0, Float(Foundation.log(2.0)), 0], bias: nil, config)
        #expect(choice.experts == [2])
        #expect(abs(choice.weights[0] - 16 * 2 / 5) < 1e-5, "\(choice.weights)")
    }

    @Test func sigmoidWithoutBiasNormalisesOverTheChosen() {
        let config = config(
            experts: 4, groups: 1, limited: 1, k: 3, score: .sigmoid, routeScale: 1, bias: false)
        let raw: [Float] = [0.5, -2, 1.5, 0.25]
        let choice = choose(raw, bias: nil, config)
        #expect(choice.experts == [2, 0, 3])
        let s = [1.5, 0.5, 0.25].map { 1 / (1 + Foundation.exp(-$0)) }
        let sum = s.reduce(0, +)
        for j in 0..<3 {
            #expect(abs(Double(choice.weights[j]) - s[j] / sum) < 1e-6, "\(choice.weights)")
        }
    }
}
