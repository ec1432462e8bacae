import BlockcastContainers
import BlockcastFormats
import BlockcastModel
import Foundation

/// Why `synth` refused to run.
package enum SynthError: Error, Equatable, CustomStringConvertible {
    /// A published shape asked to be written (`--preset 671b` without `--dry-run`).
    case shapeOnly(preset: String, bytes: Int)
    /// The output directory holds files and `--force` was not given.
    case outputExists(path: String)
    /// An option that cannot be used with the others.
    case badOption(String)

    /// A sentence saying what was asked and what to do instead.
    package var description: String {
        switch self {
        case .shapeOnly(let preset, let bytes):
            return "The preset '\(preset)' describes a published model "
                + "(\(ByteCount.text(Int64(bytes))) of weights) and is for planning only; "
                + "add --dry-run, or use the tiny or small preset."
        case .outputExists(let path):
            return "The output directory \(path) is not empty; pass --force to overwrite it."
        case .badOption(let message):
            return message
        }
    }
}

/// What `blockcast synth` was asked to write.
package struct SynthOptions: Sendable {
    /// The output directory.
    package var output: String
    /// The model shape; `config` replaces it when set.
    package var preset: SynthPreset = .small
    /// A model config read from a file (`--config`), instead of the preset.
    package var config: ModelConfig?
    /// The container (`--format`).
    package var format: ContainerFormat = .hdf5
    /// The element type of every tensor but the correction bias (`--dtype`).
    package var dtype: DType = .float32
    /// The seed every value follows from (`--seed`).
    package var seed: UInt64 = 0
    /// Write the multi-token-prediction layers too (`--mtp`).
    package var includeMTP = false
    /// Overrides the preset's `q_lora_rank` (0: a plain query projection).
    package var qLoraRank: Int?
    /// Zstandard level for HDF5 (`--compress zstd[:N]`).
    package var zstdLevel: Int?
    /// Replace the output directory's checkpoint files (`--force`).
    package var force = false

    /// Options with defaults for everything but the output.
    package init(output: String) {
        self.output = output
    }
}

/// `blockcast synth`: a random model of the DeepSeek-V3 architecture with Hugging Face names
/// and a Hugging Face `config.json`, generated tensor by tensor (see ``WeightSynthesizer``).
package struct SynthPipeline {
    /// The options.
    package let options: SynthOptions

    /// A pipeline for `options`.
    package init(options: SynthOptions) {
        self.options = options
    }

    /// The model to write: its config and every tensor's name, dtype and shape.
    package struct Plan: Sendable {
        /// The configuration written to `config.json`.
        package let config: ModelConfig
        /// Every tensor, in write order.
        package let tensors: [TensorSpec]

        /// The bytes of tensor data.
        package var bytes: Int { tensors.reduce(0) { $0 + $1.byteCount } }
        /// The number of parameters.
        package var parameters: Int { tensors.reduce(0) { $0 + $1.shape.reduce(1, *) } }
    }

    /// The plan (no file is touched).
    package func plan() throws -> Plan {
        guard [.float32, .float16, .bfloat16].contains(options.dtype) else {
            throw SynthError.badOption(
                "synth writes float32, float16 or bfloat16, not \(options.dtype.rawValue).")
        }
        var config = options.config ?? options.preset.config
        if let rank = options.qLoraRank { config.qLoraRank = rank }
        if !options.includeMTP { config.mtpLayerCount = 0 }
        try config.validate()

        let tensors = config.expectedTensors(includeMTP: options.includeMTP).map { tensor in
            // The correction bias is float32 in every release; it is added to scores near 1.
            let dtype: DType =
                tensor.name.hasSuffix("e_score_correction_bias") ? .float32 : options.dtype
            return TensorSpec(name: tensor.name, dtype: dtype, shape: tensor.shape)
        }
        return Plan(config: config, tensors: tensors)
    }

    /// The `config.json` written beside the weights.
    package func configJSON(_ plan: Plan) throws -> JSONValue {
        var config = try JSONValue.parse(plan.config.huggingFaceJSON())
        if case .object(var members) = config {
            members["torch_dtype"] = .string(options.dtype.hdf5AttributeName)
            config = .object(members)
        }
        return config
    }

    /// Writes the model; `progress(tensorsDone, bytesDone)` after each tensor.
    package func run(_ plan: Plan, progress: (Int, Int) -> Void = { _, _ in }) throws {
        if options.config == nil && !options.preset.isMaterializable {
            throw SynthError.shapeOnly(preset: options.preset.rawValue, bytes: plan.bytes)
        }
        if options.zstdLevel != nil && options.format != .hdf5 {
            throw SynthError.badOption("--compress applies to HDF5 output only.")
        }
        try prepareDirectory()

        let writer = try CheckpointWriter(
            directory: options.output, plan: plan.tensors,
            options: CheckpointWriter.Options(
                format: options.format, compressionLevel: options.zstdLevel,
                metadata: options.format == .safetensors ? ["format": "pt"] : [:],
                config: try configJSON(plan)))
        do {
            var bytes = 0
            for (index, spec) in plan.tensors.enumerated() {
                let values = WeightSynthesizer.values(
                    name: spec.name, shape: spec.shape, config: plan.config, seed: options.seed)
                try writer.write(spec.name, Self.encode(values, as: spec.dtype, shape: spec.shape))
                bytes += spec.byteCount
                progress(index + 1, bytes)
            }
            try writer.finish()
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// Refuses a non-empty directory unless `--force`, which clears its checkpoint files.
    private func prepareDirectory() throws {
        let entries = OutputFiles.contents(of: options.output)
        guard !entries.isEmpty else { return }
        guard options.force else { throw SynthError.outputExists(path: options.output) }
        for entry in entries
        where entry.hasSuffix(".safetensors") || entry.hasSuffix(".h5")
            || entry.hasSuffix(".json") || OutputFiles.isTemporary(entry)
        {
            OutputFiles.remove((options.output as NSString).appendingPathComponent(entry))
        }
    }

    /// `values` as a tensor of `dtype`.
    static func encode(_ values: [Float], as dtype: DType, shape: [Int]) -> Tensor {
        values.withUnsafeBufferPointer { source in
            Tensor(dtype: dtype, shape: shape) { raw in
                switch dtype {
                case .bfloat16:
                    BFloat16.encode(source, into: raw.bindMemory(to: UInt16.self))
                case .float16:
                    Half.encode(source, into: raw.bindMemory(to: UInt16.self))
                default:
                    _ = raw.bindMemory(to: Float.self).initialize(from: source)
                }
            }
        }
    }
}
