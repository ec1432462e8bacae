import BlockcastContainers
import BlockcastModel

/// SplitMix64: a small reproducible generator for seeded test weights.
struct SeededGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `[-1, 1)`.
    mutating func symmetric() -> Float {
        Float(next() >> 40) / Float(1 << 23) - 1
    }
}

/// Small models and their seeded weights.
enum ModelFixtures {
    /// A 3-block model (1 dense, 2 MoE) whose every split dimension divides by 8: low-rank
    /// query, sigmoid router with correction bias and 4 groups, 2 shared experts, YaRN on
    /// over a short original length so the stretch shows at small positions.
    static var small: ModelConfig {
        var config = ModelConfig()
        config.vocabSize = 64
        config.dim = 32
        config.interDim = 48
        config.moeInterDim = 16
        config.layerCount = 3
        config.denseLayerCount = 1
        config.headCount = 8
        config.routedExpertCount = 16
        config.sharedExpertCount = 2
        config.activatedExpertCount = 3
        config.expertGroupCount = 4
        config.limitedGroupCount = 2
        config.scoreFunction = .sigmoid
        config.routeScale = 2.5
        config.hasGateBias = true
        config.qLoraRank = 24
        config.kvLoraRank = 16
        config.qkNopeHeadDim = 8
        config.qkRopeHeadDim = 4
        config.vHeadDim = 8
        config.originalSeqLen = 8
        config.maxSeqLen = 64
        config.ropeFactor = 4
        config.mscale = 0.707
        config.yarn = true
        return config
    }

    /// A 2-block model whose tensor-parallel slices at world size 2 fall on 128-wide block
    /// boundaries, so FP8 weights split without cutting a scale block.
    static var blockAligned: ModelConfig {
        var config = ModelConfig()
        config.vocabSize = 256
        config.dim = 256
        config.interDim = 256
        config.moeInterDim = 128
        config.layerCount = 2
        config.denseLayerCount = 1
        config.headCount = 2
        config.routedExpertCount = 4
        config.sharedExpertCount = 2
        config.activatedExpertCount = 2
        config.kvLoraRank = 128
        config.qkNopeHeadDim = 128
        config.qkRopeHeadDim = 128
        config.vHeadDim = 128
        config.maxSeqLen = 64
        return config
    }

    /// Seeded float32 tensors for every name `config` implies (Hugging Face names): weights
    /// uniform in ±1/√in, norm weights near 1, biases small.
    static func tensors(_ config: ModelConfig, seed: UInt64 = 1) -> [String: Tensor] {
        var generator = SeededGenerator(seed: seed)
        var tensors: [String: Tensor] = [:]
        for (name, shape) in config.expectedTensors() {
            let count = shape.reduce(1, *)
            var values = [Float](repeating: 0, count: count)
            if shape.count == 1 {
                let isBias = name.hasSuffix("e_score_correction_bias")
                for i in 0..<count {
                    values[i] =
                        isBias ? 0.05 * generator.symmetric() : 1 + 0.2 * generator.symmetric()
                }
            } else {
                let scale = name.contains("embed_tokens") ? 1 : 1 / Float(shape[1]).squareRoot()
                for i in 0..<count { values[i] = scale * generator.symmetric() }
            }
            tensors[name] = Tensor(floats: values, shape: shape)
        }
        return tensors
    }

    /// Seeded weights loaded for `path`.
    static func weights(
        _ config: ModelConfig, path: ComputePath = .fp32, seed: UInt64 = 1,
        quantizeInMemory: Bool = false
    ) throws -> ModelWeights {
        try ModelWeights.load(
            from: InMemoryWeights(tensors(config, seed: seed)), config: config, path: path,
            quantizeInMemory: quantizeInMemory)
    }

    /// Seeded token sequences of the given lengths.
    static func tokens(_ config: ModelConfig, lengths: [Int], seed: UInt64 = 7) -> [[Int]] {
        var generator = SeededGenerator(seed: seed)
        return lengths.map { length in
            (0..<length).map { _ in Int(generator.next() % UInt64(config.vocabSize)) }
        }
    }

    /// The largest relative RMS error over every position of two results.
    static func worstError(_ a: ForwardResult, _ b: ForwardResult) -> Double {
        var worst = 0.0
        for s in 0..<a.logits.count {
            let positions = a.logits[s].count / a.vocabularySize
            for p in 0..<positions {
                let error = relativeRMS(
                    Array(a.logits(sequence: s, position: p)),
                    Array(b.logits(sequence: s, position: p)))
                worst = max(worst, error)
            }
        }
        return worst
    }
}
