import BlockcastContainers
import BlockcastFormats
import BlockcastModel
import Testing

@Suite struct ModelWeightsTests {
    private let config = ModelFixtures.small

    private func load(_ tensors: [String: Tensor], path: ComputePath = .fp32) throws {
        _ = try ModelWeights.load(from: InMemoryWeights(tensors), config: config, path: path)
    }

    @Test func missingTensorIsNamed() {
        var tensors = ModelFixtures.tensors(config)
        tensors["model.layers.2.mlp.experts.5.up_proj.weight"] = nil
        #expect(
            throws: ModelError.missingTensor(
                name: "model.layers.2.mlp.experts.5.up_proj.weight", expectedShape: [16, 32])
        ) { try load(tensors) }
    }

    @Test func shapeMismatchNamesBothShapes() {
        var tensors = ModelFixtures.tensors(config)
        tensors["model.layers.0.self_attn.kv_b_proj.weight"] = Tensor(
            floats: [Float](repeating: 0, count: 16 * 128), shape: [128, 16])
        let expected = ModelError.shapeMismatch(
            name: "model.layers.0.self_attn.kv_b_proj.weight", expected: [128, 16],
            found: [128, 16])
        // Same element count, transposed: still a mismatch.
        tensors["model.layers.0.self_attn.kv_b_proj.weight"] = Tensor(
            floats: [Float](repeating: 0, count: 16 * 128), shape: [16, 128])
        #expect(
            throws: ModelError.shapeMismatch(
                name: "model.layers.0.self_attn.kv_b_proj.weight", expected: [128, 16],
                found: [16, 128])
        ) { try load(tensors) }
        #expect(expected.description.contains("kv_b_proj"))
    }

    @Test func integerTensorIsADtypeMismatch() {
        var tensors = ModelFixtures.tensors(config)
        tensors["model.norm.weight"] = Tensor(
            dtype: .int32, shape: [32], bytes: [UInt8](repeating: 0, count: 128))
        #expect(
            throws: ModelError.dtypeMismatch(
                name: "model.norm.weight", expected: "F32, BF16 or F16", found: "I32")
        ) { try load(tensors) }
    }

    /// The tensors with every projection quantized to FP8 plus its `weight_scale_inv`.
    private func fp8Tensors() throws -> [String: Tensor] {
        var tensors = ModelFixtures.tensors(config)
        for (name, tensor) in tensors where tensor.shape.count == 2 {
            let module = name.split(separator: ".").dropLast().last ?? ""
            guard module.hasSuffix("_proj") || module == "kv_a_proj_with_mqa" else { continue }
            let values = try tensor.floats()
            let (quantized, _) = values.withUnsafeBufferPointer {
                BlockQuantizer.quantize($0, rows: tensor.shape[0], columns: tensor.shape[1])
            }
            tensors[name] = Tensor(
                dtype: .float8E4M3FN, shape: tensor.shape, bytes: quantized.codes)
            let scaleName = String(name.dropLast("weight".count)) + "weight_scale_inv"
            tensors[scaleName] = Tensor(
                floats: quantized.scaleInverse,
                shape: [quantized.scaleRows, quantized.scaleColumns])
        }
        return tensors
    }

    @Test func fp8WeightWithoutItsScaleIsAnError() throws {
        var tensors = try fp8Tensors()
        tensors["model.layers.1.self_attn.o_proj.weight_scale_inv"] = nil
        #expect(
            throws: ModelError.missingTensor(
                name: "model.layers.1.self_attn.o_proj.weight_scale_inv", expectedShape: [1, 1])
        ) { try load(tensors, path: .fp8Gemm) }
    }

    /// An FP8 checkpoint gives the same logits as quantizing the float weights in memory, on
    /// both FP8 paths; fp8-dequant equals fp32 on the dequantized weights.
    @Test(arguments: [ComputePath.fp8Dequant, .fp8Gemm])
    func fp8CheckpointMatchesInMemoryQuantization(path: ComputePath) throws {
        let tokens = ModelFixtures.tokens(config, lengths: [9])
        let fromFile = try Transformer(
            weights: try ModelWeights.load(
                from: InMemoryWeights(try fp8Tensors()), config: config, path: path)
        ).forward(tokens: tokens)
        let inMemory = try Transformer(
            weights: try ModelFixtures.weights(config, path: path, quantizeInMemory: true)
        ).forward(tokens: tokens)
        #expect(fromFile.logits == inMemory.logits)

        let fp32 = try Transformer(weights: try ModelFixtures.weights(config))
            .forward(tokens: tokens)
        let error = ModelFixtures.worstError(fromFile, fp32)
        #expect(error > 1e-4 && error < 0.5, "\(path) against fp32: \(error)")
    }

    @Test func worldSizeThatDoesNotDivideIsAnError() throws {
        let weights = try ModelFixtures.weights(config)
        #expect(throws: ModelError.self) { try weights.sharded(worldSize: 3) }
        do {
            _ = try weights.sharded(worldSize: 3)
        } catch let error as ModelError {
            guard case .invalidWorldSize(3, let reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(reason.contains("vocab_size"), "\(reason)")
        }
    }

    /// Rank files in inference names (sliced here per sharding.md) load rank by rank and run
    /// exactly like the in-memory split.
    @Test func rankFilesInInferenceNamesLoad() throws {
        let worldSize = 2
        let full = ModelFixtures.tensors(config)
        var ranks = [[String: Tensor]](repeating: [:], count: worldSize)
        for (name, tensor) in full {
            let tensorName = try TensorName(huggingFace: name)
            let values = try tensor.floats()
            for rank in 0..<worldSize {
                switch tensorName.placement {
                case .replicated:
                    ranks[rank][tensorName.inference] = tensor
                case .expert(let index):
                    if index / (config.routedExpertCount / worldSize) == rank {
                        ranks[rank][tensorName.inference] = tensor
                    }
                case .split(let dimension):
                    let (rows, columns) = (
                        tensor.shape[0], tensor.shape.count > 1 ? tensor.shape[1] : 1
                    )
                    var shape = tensor.shape
                    shape[dimension] /= worldSize
                    var slice: [Float] = []
                    for r in 0..<rows {
                        for c in 0..<columns {
                            let index = dimension == 0 ? r : c
                            if index / shape[dimension] == rank {
                                slice.append(values[r * columns + c])
                            }
                        }
                    }
                    ranks[rank][tensorName.inference] = Tensor(floats: slice, shape: shape)
                }
            }
        }
        #expect(ranks[0]["layers.1.attn.wq_b.weight"]?.shape == [48, 24])
        #expect(ranks[1]["layers.2.ffn.experts.15.w2.weight"] != nil)
        #expect(ranks[0]["layers.2.ffn.experts.15.w2.weight"] == nil)

        let loaded = try (0..<worldSize).map { rank in
            try ModelWeights.load(
                from: InMemoryWeights(ranks[rank]), config: config, path: .fp32, rank: rank,
                worldSize: worldSize)
        }
        let tokens = ModelFixtures.tokens(config, lengths: [10])
        let fromFiles = try Transformer(ranks: loaded).forward(tokens: tokens)
        let inMemory = try Transformer(
            ranks: try ModelFixtures.weights(config).sharded(worldSize: worldSize)
        ).forward(tokens: tokens)
        #expect(fromFiles.logits == inMemory.logits)

        // A rank file missing its slice of a split tensor names it in inference spelling.
        ranks[1]["layers.0.ffn.w2.weight"] = nil
        #expect(
            throws: ModelError.missingTensor(
                name: "layers.0.ffn.w2.weight", expectedShape: [32, 24])
        ) {
            try ModelWeights.load(
                from: InMemoryWeights(ranks[1]), config: config, path: .fp32, rank: 1,
                worldSize: worldSize)
        }
    }
}
