import BlockcastFormats
import BlockcastPipelines
import Foundation
import Testing

@Suite("WeightSynthesizer")
struct WeightSynthesizerTests {
    private let config = SynthPreset.tiny.config

    @Test("values depend on seed and name only, not on the thread count")
    func deterministic() {
        let name = "model.layers.0.mlp.gate_proj.weight"
        let saved = Parallelism.threadCount
        defer { Parallelism.threadCount = saved }

        Parallelism.threadCount = 1
        let one = WeightSynthesizer.values(name: name, shape: [640, 256], config: config, seed: 5)
        Parallelism.threadCount = 4
        let four = WeightSynthesizer.values(name: name, shape: [640, 256], config: config, seed: 5)
        let other = WeightSynthesizer.values(
            name: name, shape: [640, 256], config: config, seed: 6)
        #expect(one == four)
        #expect(one != other)
    }

    @Test("projections keep unit output RMS and have outlier input channels")
    func projections() {
        let rows = 640
        let columns = 256
        let w = WeightSynthesizer.values(
            name: "model.layers.0.mlp.up_proj.weight", shape: [rows, columns], config: config,
            seed: 1)
        // Σ_c w[r,c]² is the output variance for a unit-variance input; its mean over rows ≈ 1.
        var rowEnergy = 0.0
        var columnEnergy = [Double](repeating: 0, count: columns)
        for r in 0..<rows {
            for c in 0..<columns {
                let x = Double(w[r * columns + c])
                rowEnergy += x * x
                columnEnergy[c] += x * x
            }
        }
        #expect(abs(rowEnergy / Double(rows) - 1) < 0.1, "output variance \(rowEnergy / 640)")
        let sorted = columnEnergy.sorted()
        let median = sorted[columns / 2]
        #expect(sorted[columns - 1] > 10 * median, "no outlier channel")
    }

    @Test("norms near one, bias small, router without outliers")
    func others() {
        let norm = WeightSynthesizer.values(
            name: "model.norm.weight", shape: [256], config: config, seed: 1)
        #expect(norm.allSatisfy { abs($0 - 1) < 0.2 })
        let bias = WeightSynthesizer.values(
            name: "model.layers.1.mlp.gate.e_score_correction_bias", shape: [8], config: config,
            seed: 1)
        #expect(bias.allSatisfy { abs($0) < 0.1 })
        let router = WeightSynthesizer.values(
            name: "model.layers.1.mlp.gate.weight", shape: [8, 256], config: config, seed: 1)
        let limit = Float(4 / Double(256).squareRoot())
        #expect(router.allSatisfy { abs($0) < limit })
    }
}

@Suite("WeightSynthesizer routing")
struct WeightSynthesizerRoutingTests {
    /// The gate must spread tokens: with embedding rows (RMS-normalized) as inputs, the
    /// group-limited top-k of sigmoid scores plus bias reaches every expert, none flooded.
    @Test("the small model's router spreads tokens over all experts")
    func routingSpread() {
        let config = SynthPreset.small.config
        let experts = config.routedExpertCount
        let dim = config.dim
        let gate = WeightSynthesizer.values(
            name: "model.layers.1.mlp.gate.weight", shape: [experts, dim], config: config,
            seed: 0)
        let bias = WeightSynthesizer.values(
            name: "model.layers.1.mlp.gate.e_score_correction_bias", shape: [experts],
            config: config, seed: 0)
        let tokens = 512
        let embedding = WeightSynthesizer.values(
            name: "model.embed_tokens.weight", shape: [tokens, dim], config: config, seed: 0)

        var load = [Int](repeating: 0, count: experts)
        let groupSize = experts / config.expertGroupCount
        for t in 0..<tokens {
            let x = embedding[(t * dim)..<((t + 1) * dim)]
            let rms = (x.reduce(0) { $0 + $1 * $1 } / Float(dim)).squareRoot()
            var biased = [Float](repeating: 0, count: experts)
            for e in 0..<experts {
                var dot: Float = 0
                for (i, v) in x.enumerated() { dot += v / rms * gate[e * dim + i] }
                biased[e] = 1 / (1 + (-dot).exp()) + bias[e]
            }
            let groupScores = (0..<config.expertGroupCount).map { g in
                biased[(g * groupSize)..<((g + 1) * groupSize)].sorted(by: >).prefix(2).reduce(0, +)
            }
            let keptGroups = Set(
                groupScores.indices.sorted { groupScores[$0] > groupScores[$1] }
                    .prefix(config.limitedGroupCount))
            let candidates = (0..<experts).filter { keptGroups.contains($0 / groupSize) }
            for e in candidates.sorted(by: { biased[$0] > biased[$1] })
                .prefix(config.activatedExpertCount)
            {
                load[e] += 1
            }
        }
        let mean = Double(tokens * config.activatedExpertCount) / Double(experts)
        #expect(load.allSatisfy { $0 > 0 }, "starved expert: \(load)")
        #expect(Double(load.max()!) < 3 * mean, "flooded expert: \(load)")
    }
}

extension Float {
    /// e^self, for the test's sigmoid.
    fileprivate func exp() -> Float { Float(Foundation.exp(Double(self))) }
}
