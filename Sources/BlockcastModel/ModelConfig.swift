import BlockcastFormats
import Foundation

/// How the router turns raw gate logits into expert scores.
public enum ScoreFunction: String, Sendable, Equatable, CaseIterable {
    /// Softmax over all routed experts (DeepSeek-V2).
    case softmax
    /// Element-wise sigmoid; chosen weights are then normalised to sum to one (DeepSeek-V3).
    case sigmoid
}

/// The shape and hyper-parameters of a DeepSeek-V3-class model (see model.md, "Configuration").
///
/// Loads from either spelling of the config: the inference-style keys of the public reference
/// (`dim`, `n_layers`, …) or a Hugging Face `config.json` (`hidden_size`, `num_hidden_layers`,
/// …). Keys that are absent take the public reference's defaults, which describe the 16B-class
/// model.
public struct ModelConfig: Sendable, Equatable {
    /// Tokens in the vocabulary (`vocab_size`).
    public var vocabSize: Int = 102_400
    /// Model width (`dim` / `hidden_size`).
    public var dim: Int = 2048
    /// Width of the dense MLP blocks (`inter_dim` / `intermediate_size`).
    public var interDim: Int = 10_944
    /// Width of one routed or shared expert (`moe_inter_dim` / `moe_intermediate_size`).
    public var moeInterDim: Int = 1408
    /// Transformer blocks, not counting multi-token-prediction layers (`n_layers`).
    public var layerCount: Int = 27
    /// Leading blocks with a dense MLP instead of an MoE layer (`n_dense_layers`).
    public var denseLayerCount: Int = 1
    /// Attention heads (`n_heads` / `num_attention_heads`).
    public var headCount: Int = 16
    /// Routed experts per MoE layer (`n_routed_experts`).
    public var routedExpertCount: Int = 64
    /// Always-on experts per MoE layer, fused into one MLP (`n_shared_experts`).
    public var sharedExpertCount: Int = 2
    /// Routed experts each token uses (`n_activated_experts` / `num_experts_per_tok`).
    public var activatedExpertCount: Int = 6
    /// Groups the routed experts are split into (`n_expert_groups` / `n_group`).
    public var expertGroupCount: Int = 1
    /// Groups one token may draw experts from (`n_limited_groups` / `topk_group`).
    public var limitedGroupCount: Int = 1
    /// How gate logits become scores (`score_func` / `scoring_func`).
    public var scoreFunction: ScoreFunction = .softmax
    /// Factor on the routing weights (`route_scale` / `routed_scaling_factor`).
    public var routeScale: Double = 1
    /// Rank of the low-rank query projection; 0 means a plain `W_q` (`q_lora_rank`).
    public var qLoraRank: Int = 0
    /// Width of the latent KV vector (`kv_lora_rank`).
    public var kvLoraRank: Int = 512
    /// Per-head query/key dims without rotary (`qk_nope_head_dim`).
    public var qkNopeHeadDim: Int = 128
    /// Per-head query/key dims with rotary (`qk_rope_head_dim`).
    public var qkRopeHeadDim: Int = 64
    /// Per-head value dims (`v_head_dim`).
    public var vHeadDim: Int = 128
    /// YaRN base length (`original_seq_len` /
    /// `rope_scaling.original_max_position_embeddings`).
    public var originalSeqLen: Int = 4096
    /// Rotary base (`rope_theta`).
    public var ropeTheta: Double = 10_000
    /// YaRN stretch (`rope_factor` / `rope_scaling.factor`).
    public var ropeFactor: Double = 40
    /// YaRN ramp start, in rotations (`beta_fast`).
    public var betaFast: Double = 32
    /// YaRN ramp end, in rotations (`beta_slow`).
    public var betaSlow: Double = 1
    /// Attention temperature term (`mscale` / `rope_scaling.mscale_all_dim`).
    public var mscale: Double = 1
    /// Longest sequence a run allows (`max_seq_len` / `max_position_embeddings`).
    public var maxSeqLen: Int = 16_384
    /// RMSNorm epsilon (`rms_norm_eps`).
    public var rmsNormEps: Double = 1e-6
    /// Whether each MoE gate has an `e_score_correction_bias` (Hugging Face
    /// `topk_method: noaux_tc`; for inference-style configs, sigmoid scoring).
    public var hasGateBias: Bool = false
    /// Whether YaRN's frequency stretch and attention factor apply (see ``yarnEnabled``).
    public var yarn: Bool = true
    /// Multi-token-prediction layers after the main blocks (`num_nextn_predict_layers`).
    public var mtpLayerCount: Int = 0
    /// The block-scale rule of an FP8 checkpoint (`scale_fmt`, or Hugging Face
    /// `quantization_config.scale_fmt`): with ue8m0 the fp8-gemm path rounds its activation
    /// scales up to powers of two as well, as the runtimes that need such scales do.
    public var scaleFormat: ScaleFormat = .float32

    /// The public reference's defaults (the 16B-class shape without its `mscale`).
    public init() {}

    /// Whether YaRN is on. model.md gives two rules: inference-style configs turn it on when
    /// `max_seq_len > original_seq_len`; Hugging Face configs when `rope_scaling.type` is
    /// `yarn`. The loader applies the rule of the spelling it read; presets and inline configs
    /// carry the flag directly.
    public var yarnEnabled: Bool { yarn }

    /// Width of one head's query and key: `qk_nope_head_dim + qk_rope_head_dim`.
    public var qkHeadDim: Int { qkNopeHeadDim + qkRopeHeadDim }

    /// Number of MoE blocks among the main layers.
    public var moeLayerCount: Int { max(0, layerCount - denseLayerCount) }

    /// Whether block `layer` has an MoE layer (as opposed to a dense MLP).
    public func isMoE(layer: Int) -> Bool { layer >= denseLayerCount }
}

// MARK: - Presets

extension ModelConfig {
    /// DeepSeek-V2-Lite (16B), as in the public reference's `config_16B.json`.
    public static let deepSeekV2Lite16B: ModelConfig = {
        var config = ModelConfig()
        config.mscale = 0.707
        return config
    }()

    // swift-format-ignore: AlwaysUseLowerCamelCase
    // (the underscore keeps the version and the size apart, as the published names do)
    /// DeepSeek-V2 (236B), as in the public reference's `config_236B.json`.
    public static let deepSeekV2_236B: ModelConfig = {
        var config = ModelConfig()
        config.vocabSize = 102_400
        config.dim = 5120
        config.interDim = 12_288
        config.moeInterDim = 1536
        config.layerCount = 60
        config.denseLayerCount = 1
        config.headCount = 128
        config.routedExpertCount = 160
        config.sharedExpertCount = 2
        config.activatedExpertCount = 6
        config.expertGroupCount = 8
        config.limitedGroupCount = 3
        config.scoreFunction = .softmax
        config.routeScale = 16
        config.qLoraRank = 1536
        config.kvLoraRank = 512
        return config
    }()

    // swift-format-ignore: AlwaysUseLowerCamelCase
    // (the underscore keeps the version and the size apart, as the published names do)
    /// DeepSeek-V3 (671B), as in the public reference's `config_671B.json`, with its one
    /// multi-token-prediction layer.
    public static let deepSeekV3_671B: ModelConfig = {
        var config = ModelConfig()
        config.vocabSize = 129_280
        config.dim = 7168
        config.interDim = 18_432
        config.moeInterDim = 2048
        config.layerCount = 61
        config.denseLayerCount = 3
        config.headCount = 128
        config.routedExpertCount = 256
        config.sharedExpertCount = 1
        config.activatedExpertCount = 8
        config.expertGroupCount = 8
        config.limitedGroupCount = 4
        config.scoreFunction = .sigmoid
        config.routeScale = 2.5
        config.qLoraRank = 1536
        config.kvLoraRank = 512
        config.hasGateBias = true
        config.mtpLayerCount = 1
        return config
    }()
}

// MARK: - Parsing

extension ModelConfig {
    /// Which key names a config dictionary uses.
    public enum Spelling: String, Sendable {
        /// The public reference's inference keys (`dim`, `n_layers`, …).
        case inference
        /// Hugging Face `config.json` keys (`hidden_size`, `num_hidden_layers`, …).
        case huggingFace
    }

    /// Reads and validates a config file in either spelling.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            // Foundation's sentence ("The file doesn’t exist."), not its error dump.
            let sentence = (error as NSError).localizedDescription
            throw ModelError.unreadableConfig(
                path: url.path,
                reason: sentence.hasSuffix(".") ? String(sentence.dropLast()) : sentence)
        }
        do {
            try self.init(jsonData: data)
        } catch ModelError.unreadableConfig(_, let reason) {
            throw ModelError.unreadableConfig(path: url.path, reason: reason)
        }
    }

    /// Parses and validates JSON text holding one object in either spelling.
    public init(jsonData: Data) throws {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: jsonData)
        } catch {
            throw ModelError.unreadableConfig(path: "<json>", reason: "not valid JSON")
        }
        guard let dictionary = object as? [String: Any] else {
            throw ModelError.unreadableConfig(path: "<json>", reason: "not a JSON object")
        }
        try self.init(json: dictionary)
    }

    /// Builds and validates a config from a parsed JSON object in either spelling; the
    /// spelling is the Hugging Face one when `hidden_size`, `num_hidden_layers` or
    /// `num_attention_heads` is present.
    public init(json: [String: Any]) throws {
        let reader = KeyReader(json)
        let huggingFaceKeys = ["hidden_size", "num_hidden_layers", "num_attention_heads"]
        let spelling: Spelling =
            huggingFaceKeys.contains { json[$0] != nil } ? .huggingFace : .inference
        self.init()

        switch spelling {
        case .inference:
            try readInference(reader)
        case .huggingFace:
            try readHuggingFace(reader)
        }
        try validate()
    }

    private mutating func readInference(_ r: KeyReader) throws {
        vocabSize = try r.int("vocab_size") ?? vocabSize
        dim = try r.int("dim") ?? dim
        interDim = try r.int("inter_dim") ?? interDim
        moeInterDim = try r.int("moe_inter_dim") ?? moeInterDim
        layerCount = try r.int("n_layers") ?? layerCount
        denseLayerCount = try r.int("n_dense_layers") ?? denseLayerCount
        headCount = try r.int("n_heads") ?? headCount
        routedExpertCount = try r.int("n_routed_experts") ?? routedExpertCount
        sharedExpertCount = try r.int("n_shared_experts") ?? sharedExpertCount
        activatedExpertCount = try r.int("n_activated_experts") ?? activatedExpertCount
        expertGroupCount = try r.int("n_expert_groups") ?? expertGroupCount
        limitedGroupCount = try r.int("n_limited_groups") ?? limitedGroupCount
        scoreFunction = try r.scoreFunction("score_func") ?? scoreFunction
        routeScale = try r.double("route_scale") ?? routeScale
        qLoraRank = try r.int("q_lora_rank") ?? 0
        kvLoraRank = try r.int("kv_lora_rank") ?? kvLoraRank
        qkNopeHeadDim = try r.int("qk_nope_head_dim") ?? qkNopeHeadDim
        qkRopeHeadDim = try r.int("qk_rope_head_dim") ?? qkRopeHeadDim
        vHeadDim = try r.int("v_head_dim") ?? vHeadDim
        originalSeqLen = try r.int("original_seq_len") ?? originalSeqLen
        ropeTheta = try r.double("rope_theta") ?? ropeTheta
        ropeFactor = try r.double("rope_factor") ?? ropeFactor
        betaFast = try r.double("beta_fast") ?? betaFast
        betaSlow = try r.double("beta_slow") ?? betaSlow
        mscale = try r.double("mscale") ?? mscale
        maxSeqLen = try r.int("max_seq_len") ?? maxSeqLen
        rmsNormEps = try r.double("rms_norm_eps") ?? rmsNormEps
        mtpLayerCount = try r.int("num_nextn_predict_layers") ?? 0
        scaleFormat = try r.string("scale_fmt") == "ue8m0" ? .ue8m0 : .float32

        // The reference gives the gate a correction bias exactly for the sigmoid-scored model.
        hasGateBias = scoreFunction == .sigmoid
        yarn = maxSeqLen > originalSeqLen
    }

    private mutating func readHuggingFace(_ r: KeyReader) throws {
        vocabSize = try r.int("vocab_size") ?? vocabSize
        dim = try r.int("hidden_size") ?? dim
        interDim = try r.int("intermediate_size") ?? interDim
        moeInterDim = try r.int("moe_intermediate_size") ?? moeInterDim
        layerCount = try r.int("num_hidden_layers") ?? layerCount
        denseLayerCount = try r.int("first_k_dense_replace") ?? denseLayerCount
        headCount = try r.int("num_attention_heads") ?? headCount
        routedExpertCount = try r.int("n_routed_experts") ?? routedExpertCount
        // Hugging Face writes `n_shared_experts: null` for a model without shared experts.
        sharedExpertCount =
            try r.isNull("n_shared_experts") ? 0 : r.int("n_shared_experts") ?? sharedExpertCount
        activatedExpertCount = try r.int("num_experts_per_tok") ?? activatedExpertCount
        expertGroupCount = try r.int("n_group") ?? expertGroupCount
        limitedGroupCount = try r.int("topk_group") ?? limitedGroupCount
        scoreFunction = try r.scoreFunction("scoring_func") ?? scoreFunction
        routeScale = try r.double("routed_scaling_factor") ?? routeScale
        qLoraRank = try r.int("q_lora_rank") ?? 0
        kvLoraRank = try r.int("kv_lora_rank") ?? kvLoraRank
        qkNopeHeadDim = try r.int("qk_nope_head_dim") ?? qkNopeHeadDim
        qkRopeHeadDim = try r.int("qk_rope_head_dim") ?? qkRopeHeadDim
        vHeadDim = try r.int("v_head_dim") ?? vHeadDim
        ropeTheta = try r.double("rope_theta") ?? ropeTheta
        maxSeqLen = try r.int("max_position_embeddings") ?? maxSeqLen
        rmsNormEps = try r.double("rms_norm_eps") ?? rmsNormEps
        mtpLayerCount = try r.int("num_nextn_predict_layers") ?? 0
        if let quantization = try r.object("quantization_config") {
            let q = KeyReader(quantization, prefix: "quantization_config.")
            scaleFormat = try q.string("scale_fmt") == "ue8m0" ? .ue8m0 : .float32
        }

        if let method = try r.string("topk_method") {
            hasGateBias = method == "noaux_tc"
        } else {
            hasGateBias = scoreFunction == .sigmoid
        }

        yarn = false
        if let scaling = try r.object("rope_scaling") {
            let s = KeyReader(scaling, prefix: "rope_scaling.")
            let type = try s.string("type") ?? s.string("rope_type")
            yarn = type == "yarn"
            ropeFactor = try s.double("factor") ?? ropeFactor
            originalSeqLen = try s.int("original_max_position_embeddings") ?? originalSeqLen
            betaFast = try s.double("beta_fast") ?? betaFast
            betaSlow = try s.double("beta_slow") ?? betaSlow
            mscale = try s.double("mscale_all_dim") ?? mscale
        }
    }

    /// Checks that the numbers describe a model the forward pass can run.
    public func validate() throws {
        func positive(_ value: Int, _ key: String) throws {
            if value <= 0 {
                throw ModelError.invalidValue(key: key, value: "\(value)", reason: "must be > 0")
            }
        }
        func nonNegative(_ value: Int, _ key: String) throws {
            if value < 0 {
                throw ModelError.invalidValue(key: key, value: "\(value)", reason: "must be ≥ 0")
            }
        }

        try positive(vocabSize, "vocab_size")
        try positive(dim, "dim")
        try positive(layerCount, "n_layers")
        try positive(headCount, "n_heads")
        try positive(kvLoraRank, "kv_lora_rank")
        try nonNegative(qkNopeHeadDim, "qk_nope_head_dim")
        try positive(qkRopeHeadDim, "qk_rope_head_dim")
        try positive(vHeadDim, "v_head_dim")
        try nonNegative(qLoraRank, "q_lora_rank")
        try nonNegative(denseLayerCount, "n_dense_layers")
        try nonNegative(mtpLayerCount, "num_nextn_predict_layers")
        try positive(maxSeqLen, "max_seq_len")
        try positive(originalSeqLen, "original_seq_len")

        if qkRopeHeadDim % 2 != 0 {
            throw ModelError.invalidValue(
                key: "qk_rope_head_dim", value: "\(qkRopeHeadDim)",
                reason: "rotary pairs need an even width")
        }
        if denseLayerCount > 0 { try positive(interDim, "inter_dim") }
        if ropeTheta <= 1 {
            throw ModelError.invalidValue(
                key: "rope_theta", value: "\(ropeTheta)", reason: "must be > 1")
        }
        if !(rmsNormEps > 0) {
            throw ModelError.invalidValue(
                key: "rms_norm_eps", value: "\(rmsNormEps)", reason: "must be > 0")
        }
        if yarn && !(ropeFactor > 0) {
            throw ModelError.invalidValue(
                key: "rope_factor", value: "\(ropeFactor)", reason: "YaRN needs a factor > 0")
        }

        // MoE blocks exist only when some layer is past the dense prefix.
        guard denseLayerCount < layerCount || mtpLayerCount > 0 else { return }
        try positive(moeInterDim, "moe_inter_dim")
        try positive(routedExpertCount, "n_routed_experts")
        try nonNegative(sharedExpertCount, "n_shared_experts")
        try positive(expertGroupCount, "n_expert_groups")
        try positive(activatedExpertCount, "n_activated_experts")
        if routedExpertCount % expertGroupCount != 0 {
            throw ModelError.invalidValue(
                key: "n_expert_groups", value: "\(expertGroupCount)",
                reason: "must divide n_routed_experts (\(routedExpertCount))")
        }
        if limitedGroupCount < 1 || limitedGroupCount > expertGroupCount {
            throw ModelError.invalidValue(
                key: "n_limited_groups", value: "\(limitedGroupCount)",
                reason: "must lie in 1...n_expert_groups (\(expertGroupCount))")
        }
        let reachable = limitedGroupCount * (routedExpertCount / expertGroupCount)
        if activatedExpertCount > reachable {
            throw ModelError.invalidValue(
                key: "n_activated_experts", value: "\(activatedExpertCount)",
                reason: "exceeds the \(reachable) experts the limited groups hold")
        }
        if hasGateBias && expertGroupCount > 1 && routedExpertCount / expertGroupCount < 2 {
            throw ModelError.invalidValue(
                key: "n_expert_groups", value: "\(expertGroupCount)",
                reason: "a biased gate scores groups by their two best members, so each group "
                    + "needs at least 2 experts")
        }
    }
}

/// Typed access to a JSON object's values, naming the key in every error.
private struct KeyReader {
    let values: [String: Any]
    let prefix: String

    init(_ values: [String: Any], prefix: String = "") {
        self.values = values
        self.prefix = prefix
    }

    /// The value at `key`, or nil when absent or JSON null.
    private func raw(_ key: String) -> Any? {
        guard let value = values[key], !(value is NSNull) else { return nil }
        return value
    }

    /// Whether `key` is present with the value JSON null.
    func isNull(_ key: String) -> Bool {
        values[key] is NSNull
    }

    private func invalid(_ key: String, _ value: Any, _ reason: String) -> ModelError {
        .invalidValue(key: prefix + key, value: "\(value)", reason: reason)
    }

    func int(_ key: String) throws -> Int? {
        guard let value = raw(key) else { return nil }
        if isBoolean(value) { throw invalid(key, value, "expected an integer") }
        if let int = value as? Int { return int }
        if let double = value as? Double, double.rounded() == double, abs(double) < 1e15 {
            return Int(double)
        }
        throw invalid(key, value, "expected an integer")
    }

    func double(_ key: String) throws -> Double? {
        guard let value = raw(key) else { return nil }
        if isBoolean(value) { throw invalid(key, value, "expected a number") }
        if let double = value as? Double, double.isFinite { return double }
        if let int = value as? Int { return Double(int) }
        throw invalid(key, value, "expected a finite number")
    }

    /// Whether a JSON value is `true`/`false`. Foundation's parser hands numbers and booleans
    /// back as NSNumber, and `is Bool` holds for the numbers 0 and 1 too; only a boolean's
    /// storage type is `char`.
    private func isBoolean(_ value: Any) -> Bool {
        if type(of: value) == Bool.self { return true }
        guard let number = value as? NSNumber, type(of: value) != NSNumber.self else {
            return false
        }
        return String(cString: number.objCType) == "c"
    }

    func string(_ key: String) throws -> String? {
        guard let value = raw(key) else { return nil }
        guard let string = value as? String else { throw invalid(key, value, "expected a string") }
        return string
    }

    func object(_ key: String) throws -> [String: Any]? {
        guard let value = raw(key) else { return nil }
        guard let object = value as? [String: Any] else {
            throw invalid(key, value, "expected an object")
        }
        return object
    }

    func scoreFunction(_ key: String) throws -> ScoreFunction? {
        guard let name = try string(key) else { return nil }
        guard let function = ScoreFunction(rawValue: name) else {
            throw invalid(key, "\"\(name)\"", "expected \"softmax\" or \"sigmoid\"")
        }
        return function
    }
}
