import BlockcastFormats
import BlockcastPipelines
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
