import BlockcastContainers
import BlockcastFormats

/// What `blockcast quantize` was asked to do.
package struct QuantizeOptions: Sendable {
    /// The input checkpoint: a file or a directory, HDF5 or safetensors.
    package var input: String
    /// The output directory.
    package var output: String
    /// The output container (`--format`); nil means the input's.
    package var format: ContainerFormat?
    /// The Zstandard level for HDF5 output (`--compress zstd[:N]`); nil means uncompressed.
    package var zstdLevel: Int?
    /// Which tensors become what (`--to`, `--include`, `--exclude`).
    package var policy = TensorPolicy()
    /// How block scales are chosen (`--scale-format fp32|ue8m0|e8m0`).
    package var scaleFormat: ScaleFormat = .float32
    /// How scales are stored: float32, or one-byte e8m0 (`--scale-format e8m0`).
    package var scaleStorage: DType = .float32
    /// Print the plan and write nothing (`--dry-run`).
    package var dryRun = false
    /// Keep completed output files of an interrupted run (`--resume`).
    package var resume = false
    /// Replace what the output directory holds (`--force`).
    package var force = false
    /// Convert weights that hold NaN or infinity (`--allow-nonfinite`).
    package var allowNonFinite = false
    /// Only merge the parts' outputs (`--merge`).
    package var mergeOnly = false
    /// This process's share (zero-based index) of `partCount` (`--part i/n`).
    package var partIndex = 0
    /// How many processes share the work.
    package var partCount = 1
    /// The most tensor data one output file holds.
    package var maxFileBytes = QuantizePlan.defaultMaxFileBytes

    /// Options with the defaults for everything but the paths.
    package init(input: String, output: String) {
        self.input = input
        self.output = output
    }
}
