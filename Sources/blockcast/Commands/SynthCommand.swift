import BlockcastArguments
import BlockcastContainers
import BlockcastFormats
import BlockcastModel
import BlockcastPipelines
import Foundation

/// `blockcast synth`: writes a random model of the DeepSeek-V3 architecture.
enum SynthCommand: Subcommand {
    static let command = Command(
        name: "synth",
        abstract: "Write a random model of the DeepSeek-V3 architecture.",
        discussion: """
            Writes every tensor the architecture has, with Hugging Face names, and a \
            Hugging Face config.json: embeddings, MLA projections and norms, dense MLPs, \
            routers with their correction bias, routed and shared experts, the final norm \
            and the head (and, with --mtp, the multi-token-prediction layer). Weights are \
            heavy-tailed with a few outlier input channels per matrix, like trained \
            weights, and scaled so activations stay in range through the layers. The same \
            --seed gives the same bytes on every machine and thread count.

            Presets: tiny (about 8 MB, for tests), small (about 370 MB of float32, for the \
            demo and benchmarks); 16b, 236b and 671b are the published shapes, for \
            --dry-run only.
            """,
        arguments: [.optional("output", help: "The output directory (not needed with --dry-run).")],
        options: [
            .value(
                "--preset", "model", help: "The model shape.",
                kind: .choice(SynthPreset.allCases.map(\.rawValue)), default: "small"),
            .value(
                "--config", "file",
                help: "Use the model shape of a config file (either key spelling) instead."),
            .value(
                "--format", "container", help: "The container to write.",
                kind: .choice(["hdf5", "safetensors"]), default: "hdf5"),
            .value(
                "--dtype", "type", help: "The element type of the weights.",
                kind: .choice(["float32", "float16", "bfloat16"]), default: "float32"),
            .value(
                "--seed", "n", help: "The seed every value follows from.",
                kind: .nonNegativeInteger, default: "0"),
            .value(
                "--q-lora-rank", "n",
                help: "Override the preset's q_lora_rank (0: a plain query projection).",
                kind: .nonNegativeInteger),
            .flag("--mtp", help: "Also write the multi-token-prediction layer."),
            .value(
                "--compress", "method",
                help: "Compress HDF5 datasets: zstd or zstd:N with N from 1 to 22."),
            .flag("--dry-run", help: "Print the tensors and sizes without writing."),
            .flag("--force", help: "Replace the checkpoint files in the output directory."),
        ] + CommonOptions.execution)

    static func run(_ parsed: ParsedArguments) throws -> ExitCode {
        MemoryPolicy.returnLargeBlocksToTheSystem()
        let common = try CommonSettings(parsed)
        let dryRun = parsed.flag("--dry-run")
        guard let output = parsed.positional("output") ?? (dryRun ? "" : nil) else {
            throw parsed.error("missing the output directory", help: "or pass '--dry-run'")
        }

        var options = SynthOptions(output: output)
        options.preset = SynthPreset(rawValue: parsed.string("--preset")!)!
        if let configPath = parsed.string("--config") {
            options.config = try ModelConfig(contentsOf: URL(fileURLWithPath: configPath))
        }
        options.format = parsed.string("--format") == "safetensors" ? .safetensors : .hdf5
        options.dtype = DType(name: parsed.string("--dtype")!)!
        options.seed = UInt64(parsed.int("--seed")!)
        options.qLoraRank = parsed.int("--q-lora-rank")
        options.includeMTP = parsed.flag("--mtp")
        options.force = parsed.flag("--force")
        if let compress = parsed.string("--compress") {
            options.zstdLevel = try CompressOption.level(compress, parsed)
        }

        let pipeline = SynthPipeline(options: options)
        let plan = try pipeline.plan()
        if dryRun {
            print(SynthSummary.text(plan, options: options))
            return .success
        }
        let reporter = common.progress(
            task: "synth", totalItems: plan.tensors.count, totalBytes: Int64(plan.bytes))
        try pipeline.run(plan) { tensors, bytes in
            reporter.update(itemsDone: tensors, bytesDone: Int64(bytes))
        }
        reporter.finish()
        print(
            "wrote \(plan.tensors.count) tensors, \(plan.parameters) parameters, "
                + "\(ByteCount.text(Int64(plan.bytes))) to \(output)")
        return .success
    }
}

/// `--compress zstd[:N]`.
enum CompressOption {
    /// The zstd level the option names (3 for plain `zstd`).
    static func level(_ text: String, _ parsed: ParsedArguments) throws -> Int {
        if text == "zstd" { return 3 }
        let pieces = text.split(separator: ":")
        guard pieces.count == 2, pieces[0] == "zstd", let level = Int(pieces[1]),
            (1...22).contains(level)
        else {
            throw parsed.error(
                "invalid value '\(text)' for '--compress'", help: "use zstd or zstd:N, N in 1...22")
        }
        return level
    }
}

/// The `--dry-run` listing of `synth`.
enum SynthSummary {
    static func text(_ plan: SynthPipeline.Plan, options: SynthOptions) -> String {
        var lines = plan.tensors.map { spec in
            "\(spec.name)  \(spec.dtype.rawValue)  \(spec.shape)  "
                + ByteCount.text(Int64(spec.byteCount))
        }
        lines.append(
            "\(plan.tensors.count) tensors, \(plan.parameters) parameters, "
                + "\(ByteCount.text(Int64(plan.bytes))) of \(options.dtype.hdf5AttributeName)")
        return lines.joined(separator: "\n")
    }
}
