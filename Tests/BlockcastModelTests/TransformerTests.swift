import BlockcastContainers
import BlockcastFormats
import BlockcastModel
import Testing

@Suite struct TransformerTests {
    private let config = ModelFixtures.small

    @Test func naiveAndAbsorbedOrdersAgree() throws {
        let weights = try ModelFixtures.weights(config)
        let tokens = ModelFixtures.tokens(config, lengths: [5, 11])
        let naive = try Transformer(weights: weights, attentionOrder: .naive).forward(
            tokens: tokens)
        let absorbed = try Transformer(weights: weights, attentionOrder: .absorbed)
            .forward(tokens: tokens)
        let error = ModelFixtures.worstError(naive, absorbed)
        #expect(error <= 1e-5, "relative RMS \(error)")
        #expect(naive.routing.map(\.experts) == absorbed.routing.map(\.experts))
    }

    @Test(arguments: [2, 4, 8])
    func shardedRunMatchesUnsharded(worldSize: Int) throws {
        let weights = try ModelFixtures.weights(config)
        let tokens = ModelFixtures.tokens(config, lengths: [7, 12, 3])
        let single = try Transformer(weights: weights).forward(tokens: tokens)
        let sharded = try Transformer(ranks: weights.sharded(worldSize: worldSize))
        #expect(sharded.worldSize == worldSize)
        let result = try sharded.forward(tokens: tokens)

        let error = ModelFixtures.worstError(single, result)
        #expect(error <= 1e-5, "world size \(worldSize): relative RMS \(error)")
        #expect(single.routing.map(\.experts) == result.routing.map(\.experts))
        for block in 0..<config.layerCount {
            for s in 0..<tokens.count {
                let drift = relativeRMS(
                    result.hiddenStates[block][s], single.hiddenStates[block][s])
                #expect(drift <= 1e-5, "block \(block) sequence \(s): \(drift)")
            }
        }
    }

    @Test(arguments: [ComputePath.fp8Gemm, .fp8Dequant, .bf16])
    func shardedFP8RunMatchesUnsharded(path: ComputePath) throws {
        let config = ModelFixtures.blockAligned
        let weights = try ModelFixtures.weights(config, path: path, quantizeInMemory: true)
        let tokens = ModelFixtures.tokens(config, lengths: [9, 4])
        let single = try Transformer(weights: weights).forward(tokens: tokens)
        let sharded = try Transformer(ranks: weights.sharded(worldSize: 2)).forward(tokens: tokens)
        let error = ModelFixtures.worstError(single, sharded)
        #expect(error <= 1e-5, "\(path): relative RMS \(error)")
        #expect(single.routing.map(\.experts) == sharded.routing.map(\.experts))

    }

    /// Splitting a block-scaled weight inside a 128-wide block is refused, naming the tensor.
    @Test func shardingThatCutsAScaleBlockIsAnError() throws {
        let weights = try ModelFixtures.weights(
            config, path: .fp8Gemm, quantizeInMemory: true)
        do {
            _ = try weights.sharded(worldSize: 2)
            Issue.record("expected a block-boundary error")
        } catch ModelError.invalidWorldSize(2, let reason) {
            #expect(reason.contains("scale block") && reason.contains("model.layers."), "\(reason)")
        }
    }

    /// Output bits do not depend on the thread count.
    @Test func threadCountDoesNotChangeTheResult() throws {
        let weights = try ModelFixtures.weights(
            ModelFixtures.blockAligned, path: .fp8Gemm, quantizeInMemory: true)
        let model = try Transformer(weights: weights)
        let tokens = ModelFixtures.tokens(ModelFixtures.blockAligned, lengths: [12, 5])
        let saved = Parallelism.threadCount
        defer { Parallelism.threadCount = saved }
        Parallelism.threadCount = 1
        let one = try model.forward(tokens: tokens)
        Parallelism.threadCount = 2
        let two = try model.forward(tokens: tokens)
        #expect(one.logits == two.logits)
        #expect(one.hiddenStates == two.hiddenStates)
    }

    @Test func resultHasEveryPositionBlockAndRouting() throws {
        let model = try Transformer(weights: try ModelFixtures.weights(config))
        let tokens = ModelFixtures.tokens(config, lengths: [4, 9])
        let result = try model.forward(tokens: tokens)
        #expect(result.logits.map(\.count) == [4 * 64, 9 * 64])
        #expect(result.hiddenStates.count == 3)
        #expect(result.hiddenStates[2].map(\.count) == [4 * 32, 9 * 32])
        #expect(result.routing.map(\.layer) == [1, 2])
        for routing in result.routing {
            let load = routing.expertLoad(expertCount: 16)
            #expect(load.reduce(0, +) == 13 * 3)
            for sequence in routing.experts {
                for choice in sequence { #expect(Set(choice).count == 3) }
            }
        }
        #expect(result.logits.joined().allSatisfy { $0.isFinite })
        let lean = try model.forward(tokens: tokens, keepHiddenStates: false)
        #expect(lean.hiddenStates.isEmpty)
        #expect(lean.logits == result.logits)
    }

    /// Batching must not leak between sequences, and attention must be causal.
    @Test func sequencesAreIndependentAndCausal() throws {
        let model = try Transformer(weights: try ModelFixtures.weights(config))
        let tokens = ModelFixtures.tokens(config, lengths: [6, 10])
        let batch = try model.forward(tokens: tokens)
        let alone = try model.forward(tokens: [tokens[1]])
        for p in 0..<10 {
            let error = relativeRMS(
                Array(batch.logits(sequence: 1, position: p)),
                Array(alone.logits(sequence: 0, position: p)))
            #expect(error <= 1e-6, "position \(p): \(error)")
        }

        var changed = tokens[1]
        changed[7] = (changed[7] + 1) % config.vocabSize
        let later = try model.forward(tokens: [changed])
        for p in 0..<7 {
            let error = relativeRMS(
                Array(later.logits(sequence: 0, position: p)),
                Array(alone.logits(sequence: 0, position: p)))
            #expect(error <= 1e-6, "position \(p) saw a later token: \(error)")
        }
        #expect(later.logits[0][(7 * 64)...] != alone.logits[0][(7 * 64)...])
    }

    /// An MoE with one expert, no shared expert and route scale 1 is that expert's MLP.
    @Test func singleExpertMoEEqualsADenseMLP() throws {
        var dense = config
        dense.layerCount = 2
        dense.denseLayerCount = 2
        dense.interDim = 40
        var moe = dense
        moe.denseLayerCount = 1
        moe.moeInterDim = 40
        moe.routedExpertCount = 1
        moe.sharedExpertCount = 0
        moe.activatedExpertCount = 1
        moe.expertGroupCount = 1
        moe.limitedGroupCount = 1
        moe.scoreFunction = .softmax
        moe.hasGateBias = false
        moe.routeScale = 1

        let denseTensors = ModelFixtures.tensors(dense)
        var moeTensors = ModelFixtures.tensors(moe, seed: 99)
        for (name, tensor) in denseTensors {
            let renamed = name.replacingOccurrences(
                of: "layers.1.mlp.", with: "layers.1.mlp.experts.0.")
            #expect(moeTensors[renamed] != nil, "\(renamed)")
            moeTensors[renamed] = tensor
        }
        let tokens = ModelFixtures.tokens(config, lengths: [8])
        let a = try Transformer(weights: try ModelFixtures.weights(dense)).forward(tokens: tokens)
        let moeWeights = try ModelWeights.load(
            from: InMemoryWeights(moeTensors), config: moe, path: .fp32)
        let b = try Transformer(weights: moeWeights).forward(tokens: tokens)
        #expect(a.logits == b.logits)
        #expect(b.routing[0].weights[0].allSatisfy { $0 == [1] })
    }

    /// The bf16 path is the fp32 path on weights rounded to bfloat16 (the bias excepted).
    @Test func bf16PathRoundsTheWeights() throws {
        let tensors = ModelFixtures.tensors(config)
        var rounded: [String: Tensor] = [:]
        for (name, tensor) in tensors {
            let values = try tensor.floats()
            let keep = name.hasSuffix("e_score_correction_bias")
            rounded[name] = Tensor(
                floats: keep ? values : values.map { BFloat16.round($0) }, shape: tensor.shape)
        }
        let tokens = ModelFixtures.tokens(config, lengths: [6])
        let bf16 = try Transformer(
            weights: try ModelWeights.load(
                from: InMemoryWeights(tensors), config: config, path: .bf16)
        ).forward(tokens: tokens)
        let reference = try Transformer(
            weights: try ModelWeights.load(
                from: InMemoryWeights(rounded), config: config, path: .fp32)
        ).forward(tokens: tokens)
        #expect(bf16.logits == reference.logits)
        let fp32 = try Transformer(weights: try ModelFixtures.weights(config)).forward(
            tokens: tokens)
        #expect(bf16.logits != fp32.logits)
    }

    @Test func bfloat16BetweenBlocksRoundsEveryHiddenState() throws {
        var model = try Transformer(weights: try ModelFixtures.weights(config, path: .bf16))
        let tokens = ModelFixtures.tokens(config, lengths: [6])
        let plain = try model.forward(tokens: tokens)
        model.bfloat16BetweenBlocks = true
        let rounded = try model.forward(tokens: tokens)
        for block in rounded.hiddenStates {
            #expect(block[0].allSatisfy { BFloat16.round($0) == $0 })
        }
        #expect(!plain.hiddenStates[0][0].allSatisfy { BFloat16.round($0) == $0 })
        let error = ModelFixtures.worstError(plain, rounded)
        #expect(error > 0 && error < 0.1, "\(error)")
    }

    @Test func badTokensAreErrors() throws {
        let model = try Transformer(weights: try ModelFixtures.weights(config))
        #expect(
            throws: ModelError.tokenOutOfRange(
                sequence: 1, position: 2, token: 64, vocabularySize: 64)
        ) {
            try model.forward(tokens: [[1, 2], [3, 4, 64]])
        }
        #expect(
            throws: ModelError.tokenOutOfRange(
                sequence: 0, position: 0, token: -1, vocabularySize: 64)
        ) {
            try model.forward(tokens: [[-1]])
        }
        #expect(throws: ModelError.sequenceTooLong(sequence: 0, length: 65, maximum: 64)) {
            try model.forward(tokens: [[Int](repeating: 0, count: 65)])
        }
        #expect(throws: ModelError.emptySequence(sequence: 0)) { try model.forward(tokens: [[]]) }
        let longest = try model.forward(tokens: [[Int](repeating: 5, count: 64)])
        #expect(longest.logits[0].count == 64 * 64)
    }
}
