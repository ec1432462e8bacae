import BlockcastModel

/// The built-in model shapes `synth` knows.
///
/// `tiny` and `small` are materialized; the published shapes are for `--dry-run` planning
/// (their sizes and tensor lists), never written.
package enum SynthPreset: String, Sendable, CaseIterable {
    /// About 8 MB of float32, written in well under a second: unit and end-to-end tests.
    case tiny
    /// About 370 MB of float32: the demo, the CI gate and the benchmarks.
    case small
    /// DeepSeek-V2-Lite's shape.
    case deepSeek16B = "16b"
    /// DeepSeek-V2's shape.
    case deepSeek236B = "236b"
    /// DeepSeek-V3's shape (with its multi-token-prediction layer).
    case deepSeek671B = "671b"

    /// Whether `synth` writes this preset (the published shapes are plan-only).
    package var isMaterializable: Bool { self == .tiny || self == .small }

    /// The model configuration.
    package var config: ModelConfig {
        switch self {
        case .tiny: Self.tinyConfig
        case .small: Self.smallConfig
        case .deepSeek16B: .deepSeekV2Lite16B
        case .deepSeek236B: .deepSeekV2_236B
        case .deepSeek671B: .deepSeekV3_671B
        }
    }

    /// Two blocks (one dense, one MoE), the low-rank query path, 8 experts in 2 groups scored
    /// by sigmoid with a correction bias, and widths that are not all multiples of 128
    /// (q_lora_rank 96, moe_inter 192, kv_a rows 144) so ragged tiles occur.
    private static let tinyConfig: ModelConfig = {
        var config = ModelConfig()
        config.vocabSize = 512
        config.dim = 256
        config.interDim = 640
        config.moeInterDim = 192
        config.layerCount = 2
        config.denseLayerCount = 1
        config.headCount = 4
        config.routedExpertCount = 8
        config.sharedExpertCount = 1
        config.activatedExpertCount = 2
        config.expertGroupCount = 2
        config.limitedGroupCount = 1
        config.scoreFunction = .sigmoid
        config.routeScale = 2.5
        config.qLoraRank = 96
        config.kvLoraRank = 128
        config.qkNopeHeadDim = 32
        config.qkRopeHeadDim = 16
        config.vHeadDim = 32
        config.hasGateBias = true
        config.mtpLayerCount = 1
        return config
    }()

    /// Four blocks (one dense), 16 experts of width 384 in 4 groups (2 usable per token, 4
    /// chosen), sigmoid scores with a correction bias and route_scale 2.5 as in DeepSeek-V3,
    /// a dense MLP of width 2880 (22.5 tiles) and kv_a rows 288 (2.25 tiles) for ragged tiles.
    private static let smallConfig: ModelConfig = {
        var config = ModelConfig()
        config.vocabSize = 8192
        config.dim = 1024
        config.interDim = 2880
        config.moeInterDim = 384
        config.layerCount = 4
        config.denseLayerCount = 1
        config.headCount = 8
        config.routedExpertCount = 16
        config.sharedExpertCount = 1
        config.activatedExpertCount = 4
        config.expertGroupCount = 4
        config.limitedGroupCount = 2
        config.scoreFunction = .sigmoid
        config.routeScale = 2.5
        config.qLoraRank = 384
        config.kvLoraRank = 256
        config.qkNopeHeadDim = 64
        config.qkRopeHeadDim = 32
        config.vHeadDim = 64
        config.hasGateBias = true
        config.mtpLayerCount = 1
        return config
    }()
}
