import BlockcastContainers
import BlockcastFormats
import BlockcastModel

/// What `reshard` is asked to produce.
package struct ReshardOptions: Sendable, Equatable {
    /// The number of rank files (`--world-size`); 1 merges rank files into one checkpoint.
    package var worldSize: Int
    /// Keep multi-token-prediction layers (`--keep-mtp`); the inference demo drops them.
    package var keepMTP = false
    /// Re-quantize FP8 weights whose slices would cut 128-blocks (`--requantize-misaligned`)
    /// instead of refusing them.
    package var requantizeMisaligned = false
    /// The spelling of the output's tensor names (`--names`); Hugging Face names are for
    /// merging back to one checkpoint.
    package var outputNames: NamingStyle = .inference
    /// The container of the output files (`--format`).
    package var format: ContainerFormat = .safetensors
    /// Keep rank files a previous, interrupted run of the same plan completed (`--resume`).
    package var resume = false
    /// Replace output files of an earlier run (`--force`).
    package var force = false

    /// Options for `worldSize` ranks, everything else at its default.
    package init(worldSize: Int) {
        self.worldSize = worldSize
    }
}

/// What the planner knows about the input, without any tensor data.
package struct ReshardInput: Sendable {
    /// The tensors as stored, in the input's order.
    package var tensors: [TensorInfo]
    /// The spelling the input's names use.
    package var style: NamingStyle
    /// The model config, when one was found (it decides which layers are MTP layers and how
    /// many routed experts there are).
    package var config: ModelConfig?
    /// How re-quantized float32 scales are chosen (power-of-two when the input's
    /// `quantization_config` says `scale_fmt: ue8m0`).
    package var scaleFormat: ScaleFormat = .float32

    /// An input description.
    package init(
        tensors: [TensorInfo], style: NamingStyle, config: ModelConfig?,
        scaleFormat: ScaleFormat = .float32
    ) {
        self.tensors = tensors
        self.style = style
        self.config = config
        self.scaleFormat = scaleFormat
    }
}
