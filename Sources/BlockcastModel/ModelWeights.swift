import BlockcastContainers
import BlockcastFormats

/// The weights of one model (or of one tensor-parallel rank) prepared for a compute path.
///
/// Every tensor the config implies is checked for presence, shape and element type when
/// loading; FP8 projections keep their codes and `scale_inv` on the fp8-gemm path and are
/// dequantized once on the others; the bf16 path rounds every weight but the router's
/// correction bias to bfloat16.
public struct ModelWeights: Sendable {
    /// The model the weights belong to.
    public let config: ModelConfig
    /// The path they were prepared for.
    public let path: ComputePath
    /// This rank's index, `0 ..< worldSize`.
    public let rank: Int
    /// The number of tensor-parallel ranks the weights are split over (1: unsharded).
    public let worldSize: Int
    /// Every 2-D weight applied as a product, by Hugging Face name (`….weight`), in this
    /// rank's slice.
    package var linears: [String: Linear]
    /// Norm weights, the correction bias and the embedding rows, by Hugging Face name.
    package var vectors: [String: [Float]]

    /// The projections that the FP8 release quantizes and the fp8-gemm path runs block-scaled
    /// (quantization.md); the router and the head never are.
    static let projectionModules: Set<String> = [
        "q_proj", "q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj",
        "gate_proj", "up_proj", "down_proj",
    ]

    package init(
        config: ModelConfig, path: ComputePath, rank: Int, worldSize: Int,
        linears: [String: Linear], vectors: [String: [Float]]
    ) {
        self.config = config
        self.path = path
        self.rank = rank
        self.worldSize = worldSize
        self.linears = linears
        self.vectors = vectors
    }

    /// Loads and checks the weights `config` implies from `source`, prepared for `path`.
    ///
    /// - Parameters:
    ///   - source: a checkpoint in Hugging Face names, or one rank file in inference names
    ///     (`embed.weight`, `layers.0.attn.wq.weight`, `….scale`); the spelling is detected.
    ///   - rank, worldSize: for a rank file, which rank it is and of how many; its tensors
    ///     must have that rank's slice shapes (sharding.md).
    ///   - quantizeInMemory: on the FP8 paths, quantize projections the source holds in a
    ///     float type (128×128 blocks, scales by the config's ``ModelConfig/scaleFormat``)
    ///     instead of running them unquantized; for a what-if without a converted checkpoint.
    /// - Throws: ``ModelError`` naming the first tensor that is missing, has the wrong shape
    ///   or an unusable element type, or a world size that does not divide the model.
    public static func load(
        from source: any WeightSource, config: ModelConfig, path: ComputePath, rank: Int = 0,
        worldSize: Int = 1, quantizeInMemory: Bool = false
    ) throws -> ModelWeights {
        try config.validate()
        try checkWorldSize(config, worldSize)
        guard rank >= 0 && rank < worldSize else {
            throw ModelError.invalidWorldSize(
                worldSize: worldSize, reason: "rank \(rank) is outside 0..<\(worldSize)")
        }
        let style: NamingStyle =
            source.tensorInfo(named: "model.embed_tokens.weight") != nil
            ? .huggingFace
            : (source.tensorInfo(named: "embed.weight") != nil || worldSize > 1
                ? .inference : .huggingFace)

        let loader = Loader(
            source: source, style: style, path: path, quantizeInMemory: quantizeInMemory,
            scaleFormat: config.scaleFormat)
        var linears: [String: Linear] = [:]
        var vectors: [String: [Float]] = [:]
        for (name, fullShape) in config.expectedTensors() {
            let tensorName = Self.tensorName(name)
            var shape = fullShape
            switch tensorName.placement {
            case .expert(let index):
                let owner = ShardPlacement.rank(
                    ofExpert: index, expertCount: config.routedExpertCount, worldSize: worldSize)
                if owner != rank { continue }
            case .split(let dimension):
                shape[dimension] /= worldSize
            case .replicated:
                break
            }

            let stored = tensorName.spelled(style)
            if shape.count == 1 {
                let keepFloat32 = name.hasSuffix("e_score_correction_bias")
                vectors[name] = try loader.vector(stored, shape: shape, keepFloat32: keepFloat32)
            } else if name == "model.embed_tokens.weight" {
                vectors[name] = try loader.matrix(stored, shape: shape, projection: false).values
            } else {
                let module = String(name.split(separator: ".").dropLast().last ?? "")
                let projection = projectionModules.contains(module)
                linears[name] = try loader.matrix(stored, shape: shape, projection: projection)
            }
        }
        return ModelWeights(
            config: config, path: path, rank: rank, worldSize: worldSize, linears: linears,
            vectors: vectors)
    }

    /// The naming table's view of one of the config's own tensor names.
    static func tensorName(_ huggingFace: String) -> TensorName {
        guard let name = try? TensorName(huggingFace: huggingFace) else {
            preconditionFailure("expectedTensors() produced an unknown name \(huggingFace)")
        }
        return name
    }

    /// Checks that `worldSize` ranks can split every dimension tensor parallelism splits.
    static func checkWorldSize(_ config: ModelConfig, _ worldSize: Int) throws {
        guard worldSize >= 1 else {
            throw ModelError.invalidWorldSize(worldSize: worldSize, reason: "must be at least 1")
        }
        var splits: [(String, Int)] = [
            ("vocab_size", config.vocabSize), ("n_heads", config.headCount),
        ]
        if config.denseLayerCount > 0 { splits.append(("inter_dim", config.interDim)) }
        if config.moeLayerCount > 0 {
            splits.append(("n_routed_experts", config.routedExpertCount))
            if config.sharedExpertCount > 0 {
                splits.append(
                    (
                        "n_shared_experts·moe_inter_dim",
                        config.sharedExpertCount * config.moeInterDim
                    ))
            }
        }
        for (key, value) in splits where value % worldSize != 0 {
            throw ModelError.invalidWorldSize(
                worldSize: worldSize, reason: "\(key) = \(value) does not divide by \(worldSize)")
        }
    }
}

/// Reads tensors from a source and prepares them for one path.
private struct Loader {
    let source: any WeightSource
    let style: NamingStyle
    let path: ComputePath
    let quantizeInMemory: Bool
    /// The config's scale rule: for the activations of block-scaled products, and for the
    /// weights quantized in memory.
    let scaleFormat: ScaleFormat

    private func info(_ name: String, shape: [Int]) throws -> (dtype: DType, shape: [Int]) {
        guard let info = source.tensorInfo(named: name) else {
            throw ModelError.missingTensor(name: name, expectedShape: shape)
        }
        guard info.shape == shape else {
            throw ModelError.shapeMismatch(name: name, expected: shape, found: info.shape)
        }
        return info
    }

    private func read(_ name: String) throws -> Tensor {
        do {
            return try source.readTensor(named: name)
        } catch let error as ModelError {
            throw error
        } catch {
            throw ModelError.unreadableTensor(name: name, reason: "\(error)")
        }
    }

    private func floats(_ tensor: Tensor, _ name: String) throws -> [Float] {
        do {
            return try tensor.floats()
        } catch {
            throw ModelError.unreadableTensor(name: name, reason: "\(error)")
        }
    }

    private static func isPlainFloat(_ dtype: DType) -> Bool {
        dtype == .float32 || dtype == .bfloat16 || dtype == .float16 || dtype == .float64
    }

    /// A 1-D tensor (norm weight or correction bias).
    func vector(_ name: String, shape: [Int], keepFloat32: Bool) throws -> [Float] {
        let info = try info(name, shape: shape)
        guard Self.isPlainFloat(info.dtype) else {
            throw ModelError.dtypeMismatch(
                name: name, expected: "F32, BF16 or F16", found: info.dtype.rawValue)
        }
        let values = try floats(try read(name), name)
        return path == .bf16 && !keepFloat32 ? values.map { BFloat16.round($0) } : values
    }

    /// A 2-D weight prepared for the path: block-scaled when it is an FP8 projection on the
    /// fp8-gemm path, float32 otherwise.
    func matrix(_ name: String, shape: [Int], projection: Bool) throws -> Linear {
        let info = try info(name, shape: shape)
        let rows = shape[0]
        let columns = shape[1]

        if info.dtype == .float8E4M3FN {
            let fp8 = try fp8Weight(name, rows: rows, columns: columns)
            if projection && path == .fp8Gemm { return fp8 }
            let values = fp8.dequantized()
            return Linear(
                rows: rows, columns: columns,
                values: path == .bf16 ? values.map { BFloat16.round($0) } : values)
        }
        guard Self.isPlainFloat(info.dtype) else {
            throw ModelError.dtypeMismatch(
                name: name, expected: "F32, BF16, F16, or F8_E4M3 with a scale",
                found: info.dtype.rawValue)
        }
        let values = try floats(try read(name), name)
        if projection && quantizeInMemory && path.usesFP8Weights {
            let (quantized, _) = values.withUnsafeBufferPointer {
                BlockQuantizer.quantize($0, rows: rows, columns: columns, scaleFormat: scaleFormat)
            }
            let fp8 = Linear(
                rows: rows, columns: columns, fp8Codes: quantized.codes,
                scaleInverse: quantized.scaleInverse, activationScales: scaleFormat)
            return path == .fp8Gemm
                ? fp8 : Linear(rows: rows, columns: columns, values: fp8.dequantized())
        }
        return Linear(
            rows: rows, columns: columns,
            values: path == .bf16 ? values.map { BFloat16.round($0) } : values)
    }

    /// An FP8 E4M3 weight and its `scale_inv` grid.
    private func fp8Weight(_ name: String, rows: Int, columns: Int) throws -> Linear {
        guard let scaleName = TensorName.scaleName(forWeight: name, style: style) else {
            throw ModelError.dtypeMismatch(
                name: name, expected: "a float type (only '.weight' tensors may be FP8)",
                found: DType.float8E4M3FN.rawValue)
        }
        let grid = [Linear.blocks(rows), Linear.blocks(columns)]
        let scaleInfo = try info(scaleName, shape: grid)
        guard Self.isPlainFloat(scaleInfo.dtype) || scaleInfo.dtype == .float8E8M0 else {
            throw ModelError.dtypeMismatch(
                name: scaleName, expected: "F32, BF16 or F8_E8M0", found: scaleInfo.dtype.rawValue)
        }
        let scales = try floats(try read(scaleName), scaleName)
        let codes = try read(name).bytes
        return Linear(
            rows: rows, columns: columns, fp8Codes: codes, scaleInverse: scales,
            activationScales: scaleFormat)
    }
}
