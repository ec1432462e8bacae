import BlockcastModel
import Foundation
import Testing

@Suite struct RotaryEmbeddingTests {
    /// YaRN's blended frequencies recomputed here in double from model.md's formulas.
    private func expectedFrequencies(_ config: ModelConfig) -> [Double] {
        let d = Double(config.qkRopeHeadDim)
        let base = (0..<(config.qkRopeHeadDim / 2)).map {
            1 / Foundation.pow(config.ropeTheta, 2 * Double($0) / d)
        }
        guard config.yarnEnabled else { return base }
        let corr = { (r: Double) in
            d * Foundation.log(Double(config.originalSeqLen) / (r * 2 * Double.pi))
                / (2 * Foundation.log(config.ropeTheta))
        }
        let low = max(Foundation.floor(corr(config.betaFast)), 0)
        var high = min(Foundation.ceil(corr(config.betaSlow)), d - 1)
        if low == high { high += 0.001 }
        return base.enumerated().map { i, f in
            let ramp = min(max((Double(i) - low) / (high - low), 0), 1)
            let smooth = 1 - ramp
            return f / config.ropeFactor * (1 - smooth) + f * smooth
        }
    }

    @Test(arguments: [
        ModelConfig.deepSeekV3_671B, ModelConfig.deepSeekV2Lite16B, ModelFixtures.small,
    ])
    func yarnFrequenciesMatchTheFormula(config: ModelConfig) {
        let observed = RotaryEmbedding.frequencies(for: config)
        let expected = expectedFrequencies(config)
        #expect(observed.count == expected.count)
        for i in 0..<expected.count {
            let error = abs(Double(observed[i]) - expected[i]) / expected[i]
            #expect(error < 1e-6, "f[\(i)]: expected \(expected[i]), observed \(observed[i])")
        }
    }

    @Test func yarnStretchesLowFrequenciesOnly() {
        var config = ModelConfig.deepSeekV3_671B
        let stretched = RotaryEmbedding.frequencies(for: config)
        config.yarn = false
        let plain = RotaryEmbedding.frequencies(for: config)
        // The fastest pair keeps its frequency; the slowest is divided by rope_factor.
        #expect(stretched[0] == plain[0])
        let last = plain.count - 1
        #expect(abs(stretched[last] * 40 / plain[last] - 1) < 1e-6)
        // For 671B: low = floor(corr(32)) = 10, high = ceil(corr(1)) = 23.
        #expect(stretched[10] == plain[10])
        #expect(abs(stretched[23] * 40 / plain[23] - 1) < 1e-6)
        #expect(stretched[11] < plain[11] && stretched[11] > plain[11] / 40)
    }

    @Test func softmaxScaleCarriesTheYarnTemperature() {
        let config = ModelConfig.deepSeekV2Lite16B
        let m = 0.1 * 0.707 * Foundation.log(40.0) + 1
        let expected = 1 / Foundation.sqrt(192.0) * m * m
        #expect(abs(Double(RotaryEmbedding.softmaxScale(for: config)) - expected) < 1e-7)
        var plain = config
        plain.yarn = false
        #expect(
            abs(Double(RotaryEmbedding.softmaxScale(for: plain)) - 1 / 192.0.squareRoot()) < 1e-8)
    }
}
