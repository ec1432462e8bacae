import BlockcastFormats

/// A DeepSeek-V3-class transformer ready to run on the CPU, unsharded or as `n` in-process
/// tensor-parallel ranks (model.md, "Forward pass" and "Tensor-parallel execution").
///
/// Sharded runs keep only each rank's tensors per rank and combine partial results with
/// explicit collectives: all-reduce (a sum in fixed rank order) after the embedding, the
/// attention output projection and the FFN, and an all-gather of the head's vocabulary
/// slices. One rank is the plain model: its collectives add nothing.
public struct Transformer: Sendable {
    /// The model.
    public let config: ModelConfig
    /// The arithmetic the weights were prepared for.
    public let path: ComputePath
    /// The MLA evaluation order.
    public let attentionOrder: AttentionOrder
    /// Whether the hidden state is rounded to bfloat16 after the embedding and after every
    /// block (the bf16 path's "bfloat16 between layers" option); off by default.
    public var bfloat16BetweenBlocks = false
    private let ranks: [RankModel]
    private let rotary: RotaryEmbedding

    /// The number of tensor-parallel ranks.
    public var worldSize: Int { ranks.count }

    /// An unsharded model from its weights.
    public init(weights: ModelWeights, attentionOrder: AttentionOrder = .absorbed) throws {
        try self.init(ranks: [weights], attentionOrder: attentionOrder)
    }

    /// A sharded model from one ``ModelWeights`` per rank, in rank order (rank files, or
    /// ``ModelWeights/sharded(worldSize:)``).
    public init(ranks: [ModelWeights], attentionOrder: AttentionOrder = .absorbed) throws {
        guard let first = ranks.first else {
            throw ModelError.invalidWorldSize(worldSize: 0, reason: "no ranks given")
        }
        for (index, weights) in ranks.enumerated() {
            guard weights.rank == index, weights.worldSize == ranks.count,
                weights.config == first.config, weights.path == first.path
            else {
                throw ModelError.invalidWorldSize(
                    worldSize: ranks.count,
                    reason: "entry \(index) holds rank \(weights.rank) of \(weights.worldSize) "
                        + "for path \(weights.path); expected rank \(index) of \(ranks.count) "
                        + "for \(first.path) with the same config")
            }
        }
        self.config = first.config
        self.path = first.path
        self.attentionOrder = attentionOrder
        self.ranks = try ranks.map { try RankModel($0) }
        self.rotary = RotaryEmbedding(config: first.config)
    }

    /// Runs every sequence and returns the logits of every position, the hidden state after
    /// each block (unless `keepHiddenStates` is false) and every MoE block's routing.
    ///
    /// - Throws: ``ModelError`` for an empty sequence, one longer than `max_seq_len`, or a
    ///   token outside the vocabulary.
    public func forward(tokens: [[Int]], keepHiddenStates: Bool = true) throws -> ForwardResult {
        try check(tokens)

        let dim = config.dim
        var sequences: [Range<Int>] = []
        var flat: [Int] = []
        for sequence in tokens {
            sequences.append(flat.count..<(flat.count + sequence.count))
            flat += sequence
        }
        let count = flat.count
        let tables = RotaryTables(rotary, length: tokens.map(\.count).max() ?? 0)
        let eps = Float(config.rmsNormEps)

        var h = allReduce(ranks.map { $0.embed(flat) })
        roundBetweenBlocks(&h)
        var hidden: [[[Float]]] = []
        var routing: [LayerRouting] = []
        for layer in 0..<config.layerCount {
            let attention = allReduce(
                ranks.map { rank in
                    let block = rank.blocks[layer]
                    let x = Kernels.rmsNorm(h, rows: count, weight: block.attentionNorm, eps: eps)
                    return x.withUnsafeBufferPointer {
                        block.attention.forward(
                            $0.baseAddress!, count: count, sequences: sequences, rotary: tables,
                            order: attentionOrder)
                    }
                })
            Kernels.add(&h, attention)

            var choices: (experts: [Int], weights: [Float])?
            let ffn = allReduce(
                ranks.enumerated().map { index, rank in
                    let block = rank.blocks[layer]
                    let x = Kernels.rmsNorm(h, rows: count, weight: block.ffnNorm, eps: eps)
                    return x.withUnsafeBufferPointer { x in
                        switch block.ffn {
                        case .dense(let mlp):
                            return mlp.forward(x.baseAddress!, count: count)
                        case .moe(let moe):
                            let result = moe.forward(x.baseAddress!, count: count, dim: dim)
                            if index == 0 { choices = (result.experts, result.weights) }
                            return result.output
                        }
                    }
                })
            Kernels.add(&h, ffn)
            roundBetweenBlocks(&h)

            if let choices {
                routing.append(
                    Self.routing(layer: layer, choices, sequences, k: config.activatedExpertCount))
            }
            if keepHiddenStates {
                hidden.append(
                    sequences.map { Array(h[($0.lowerBound * dim)..<($0.upperBound * dim)]) })
            }
        }

        let logits = allGather(
            ranks.map { rank in
                let x = Kernels.rmsNorm(h, rows: count, weight: rank.finalNorm, eps: eps)
                return rank.head.apply(x, count: count)
            }, count: count)
        let vocab = config.vocabSize
        return ForwardResult(
            logits: sequences.map {
                Array(logits[($0.lowerBound * vocab)..<($0.upperBound * vocab)])
            },
            hiddenStates: hidden, routing: routing, vocabularySize: vocab, dim: dim)
    }

    private func check(_ tokens: [[Int]]) throws {
        for (index, sequence) in tokens.enumerated() {
            if sequence.isEmpty { throw ModelError.emptySequence(sequence: index) }
            if sequence.count > config.maxSeqLen {
                throw ModelError.sequenceTooLong(
                    sequence: index, length: sequence.count, maximum: config.maxSeqLen)
            }
            if let position = sequence.firstIndex(where: { $0 < 0 || $0 >= config.vocabSize }) {
                throw ModelError.tokenOutOfRange(
                    sequence: index, position: position, token: sequence[position],
                    vocabularySize: config.vocabSize)
            }
        }
    }

    private func roundBetweenBlocks(_ h: inout [Float]) {
        guard bfloat16BetweenBlocks else { return }
        h.withUnsafeMutableBufferPointer { h in
            for i in 0..<h.count { h[i] = BFloat16.round(h[i]) }
        }
    }

    /// The all-reduce: partial results summed in rank order.
    private func allReduce(_ partials: [[Float]]) -> [Float] {
        var sum = partials[0]
        for partial in partials.dropFirst() { Kernels.add(&sum, partial) }
        return sum
    }

    /// The all-gather of vocabulary slices: each rank's `count × V/n` logits side by side.
    private func allGather(_ slices: [[Float]], count: Int) -> [Float] {
        guard slices.count > 1 else { return slices[0] }
        let width = config.vocabSize / slices.count
        var logits = [Float](repeating: 0, count: count * config.vocabSize)
        for (rank, slice) in slices.enumerated() {
            for t in 0..<count {
                for v in 0..<width {
                    logits[t * config.vocabSize + rank * width + v] = slice[t * width + v]
                }
            }
        }
        return logits
    }

    private static func routing(
        layer: Int, _ choices: (experts: [Int], weights: [Float]), _ sequences: [Range<Int>],
        k: Int
    ) -> LayerRouting {
        let experts = sequences.map { range in
            range.map { t in Array(choices.experts[(t * k)..<((t + 1) * k)]) }
        }
        let weights = sequences.map { range in
            range.map { t in Array(choices.weights[(t * k)..<((t + 1) * k)]) }
        }
        return LayerRouting(layer: layer, experts: experts, weights: weights)
    }
}

/// One rank's part of the model, wired from its weights.
private struct RankModel: Sendable {
    enum FeedForward: Sendable {
        case dense(MLP)
        case moe(MixtureOfExperts)
    }

    struct Block: Sendable {
        let attentionNorm: [Float]
        let attention: Attention
        let ffnNorm: [Float]
        let ffn: FeedForward
    }

    let config: ModelConfig
    let vocabularyRange: Range<Int>
    let embedding: [Float]
    let blocks: [Block]
    let finalNorm: [Float]
    let head: Linear

    init(_ weights: ModelWeights) throws {
        let config = weights.config
        self.config = config
        let rows = config.vocabSize / weights.worldSize
        vocabularyRange = (weights.rank * rows)..<((weights.rank + 1) * rows)

        func vector(_ name: String) throws -> [Float] {
            guard let value = weights.vectors[name] else {
                throw ModelError.missingTensor(name: name, expectedShape: [])
            }
            return value
        }
        func linear(_ name: String) throws -> Linear {
            guard let value = weights.linears[name] else {
                throw ModelError.missingTensor(name: name, expectedShape: [])
            }
            return value
        }
        func mlp(_ prefix: String) throws -> MLP {
            MLP(
                w1: try linear(prefix + "gate_proj.weight"),
                w2: try linear(prefix + "down_proj.weight"),
                w3: try linear(prefix + "up_proj.weight"))
        }

        embedding = try vector("model.embed_tokens.weight")
        finalNorm = try vector("model.norm.weight")
        head = try linear("lm_head.weight")

        let heads = config.headCount / weights.worldSize
        var blocks: [Block] = []
        for layer in 0..<config.layerCount {
            let prefix = "model.layers.\(layer)."
            let attention = prefix + "self_attn."
            let query: Attention.Query =
                config.qLoraRank == 0
                ? .plain(try linear(attention + "q_proj.weight"))
                : .lowRank(
                    down: try linear(attention + "q_a_proj.weight"),
                    norm: try vector(attention + "q_a_layernorm.weight"),
                    up: try linear(attention + "q_b_proj.weight"))
            let mla = Attention(
                config: config, headCount: heads, query: query,
                latent: try linear(attention + "kv_a_proj_with_mqa.weight"),
                latentNorm: try vector(attention + "kv_a_layernorm.weight"),
                keyValue: try linear(attention + "kv_b_proj.weight"),
                output: try linear(attention + "o_proj.weight"))

            let ffn: FeedForward
            let mlpPrefix = prefix + "mlp."
            if config.isMoE(layer: layer) {
                let router = Router(
                    weight: try linear(mlpPrefix + "gate.weight"),
                    bias: config.hasGateBias
                        ? try vector(mlpPrefix + "gate.e_score_correction_bias") : nil,
                    config: config)
                let experts = try (0..<config.routedExpertCount).map { e -> MLP? in
                    let expertPrefix = mlpPrefix + "experts.\(e)."
                    guard weights.linears[expertPrefix + "gate_proj.weight"] != nil else {
                        return nil
                    }
                    return try mlp(expertPrefix)
                }
                let shared =
                    config.sharedExpertCount > 0 ? try mlp(mlpPrefix + "shared_experts.") : nil
                ffn = .moe(MixtureOfExperts(router: router, experts: experts, shared: shared))
            } else {
                ffn = .dense(try mlp(mlpPrefix))
            }
            blocks.append(
                Block(
                    attentionNorm: try vector(prefix + "input_layernorm.weight"), attention: mla,
                    ffnNorm: try vector(prefix + "post_attention_layernorm.weight"), ffn: ffn))
        }
        self.blocks = blocks
    }

    /// This rank's embedding rows for `tokens`; tokens outside its vocabulary slice give zeros.
    func embed(_ tokens: [Int]) -> [Float] {
        let dim = config.dim
        var h = [Float](repeating: 0, count: tokens.count * dim)
        for (t, token) in tokens.enumerated() where vocabularyRange.contains(token) {
            let row = (token - vocabularyRange.lowerBound) * dim
            for c in 0..<dim { h[t * dim + c] = embedding[row + c] }
        }
        return h
    }
}
