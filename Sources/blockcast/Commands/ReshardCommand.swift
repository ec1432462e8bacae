import BlockcastArguments
import BlockcastContainers
import BlockcastModel
import BlockcastPipelines
import Foundation

/// `blockcast reshard`: splits a checkpoint into tensor-parallel rank files, or merges rank
/// files back into one checkpoint.
enum ReshardCommand: Subcommand {
    static let command = Command(
        name: "reshard",
        abstract: "Split a checkpoint into tensor-parallel rank files, or merge them back.",
        discussion: """
            Writes model{r}-mp{N}.safetensors for r in 0..<N with the inference runtime's \
            tensor names: routed experts go whole to their rank, column- and row-parallel \
            weights are cut into N contiguous slices, everything else is copied to every \
            rank, and FP8 scales follow their weight in 128-blocks. The config, the \
            tokenizer files beside the input and a manifest with a checksum per tensor are \
            written too. Each input tensor is read once, so memory stays near the largest \
            tensor.

            Given a directory of rank files and --world-size 1, merges them into one \
            checkpoint; --names hf restores the Hugging Face names, bit for bit.

            --dry-run prints the plan (each tensor's placement and per-rank shape, the \
            bytes per rank, every misaligned FP8 weight) without reading tensor data; with \
            --preset it plans a published model's shape without any files: \
            'blockcast reshard --dry-run --preset 671b --world-size 16', and with --config \
            the shape a config.json describes.
            """,
        arguments: [
            .optional("input", help: "A checkpoint file or directory, or a rank directory."),
            .optional("output", help: "The output directory (not needed with --dry-run)."),
        ],
        options: [
            .value(
                "--world-size", "n", help: "The number of ranks (1 merges rank files).",
                kind: .positiveInteger, isRequired: true),
            .value(
                "--format", "container", help: "The container of the rank files.",
                kind: .choice(["safetensors", "hdf5"]), default: "safetensors"),
            .value(
                "--names", "style",
                help: "Tensor names of the output: inference (rank files) or hf (Hugging Face, "
                    + "for a merge with --world-size 1).",
                kind: .choice(["inference", "hf"]), default: "inference"),
            .flag(
                "--requantize-misaligned",
                help: "Re-quantize FP8 weights whose rank slices cut 128-blocks, each slice in "
                    + "its own blocks, and report the error this adds (default: refuse)."),
            .flag("--keep-mtp", help: "Keep the multi-token-prediction layers."),
            .flag("--dry-run", help: "Print the plan without reading tensor data or writing."),
            .value(
                "--preset", "model",
                help: "Plan a built-in model shape instead of an input (with --dry-run).",
                kind: .choice(SynthPreset.allCases.map(\.rawValue))),
            .value(
                "--config", "file",
                help: "Plan the model shape of a config file (either key spelling) instead of "
                    + "an input (with --dry-run)."),
            .value(
                "--preset-dtype", "dtype",
                help: "The layout --preset or --config plans: fp8 (the FP8 release) or bf16.",
                kind: .choice(["fp8", "bf16"]), default: "fp8"),
            .flag("--resume", help: "Keep rank files an interrupted run of the same plan wrote."),
            .flag("--force", help: "Replace the output files of an earlier run."),
            .value("--json", "file", help: "Also write the plan or the report as JSON to file."),
        ] + CommonOptions.execution)

    static func run(_ parsed: ParsedArguments) throws -> ExitCode {
        MemoryPolicy.returnLargeBlocksToTheSystem()
        let common = try CommonSettings(parsed)
        let dryRun = parsed.flag("--dry-run")
        let worldSize = parsed.int("--world-size")!

        var options = ReshardOptions(worldSize: worldSize)
        options.format = parsed.string("--format") == "hdf5" ? .hdf5 : .safetensors
        options.outputNames = parsed.string("--names") == "hf" ? .huggingFace : .inference
        options.requantizeMisaligned = parsed.flag("--requantize-misaligned")
        options.keepMTP = parsed.flag("--keep-mtp")
        options.resume = parsed.flag("--resume")
        options.force = parsed.flag("--force")
        if options.outputNames == .huggingFace && worldSize != 1 {
            throw parsed.error(
                "'--names hf' needs '--world-size 1'",
                help: "rank files always use the inference runtime's names")
        }
        if options.resume && options.force {
            throw parsed.error("options '--resume' and '--force' exclude each other")
        }

        let input: ReshardRequest.Input
        var output = parsed.positional("output")
        if parsed.isPresent("--preset") && parsed.isPresent("--config") {
            throw parsed.error("options '--preset' and '--config' exclude each other")
        }
        // --preset and --config plan a shape without tensors: a dry run, and no input (the one
        // positional, if any, cannot be one).
        let shapeOption = ["--preset", "--config"].first { parsed.isPresent($0) }
        if let shapeOption {
            guard dryRun else {
                throw parsed.error(
                    "'\(shapeOption)' plans a model shape and needs '--dry-run'",
                    help: "give a checkpoint (or write one with 'blockcast synth') to reshard "
                        + "its tensors")
            }
            if let extra = parsed.positional("input") {
                throw parsed.error("'\(shapeOption)' takes no input, but '\(extra)' was given")
            }
        }
        let fp8 = parsed.string("--preset-dtype") == "fp8"
        if let configPath = parsed.string("--config") {
            let config = try ModelConfig(contentsOf: URL(fileURLWithPath: configPath))
            input = .config(path: configPath, config: config, fp8: fp8)
        } else if let presetName = parsed.string("--preset") {
            let preset = SynthPreset(rawValue: presetName)!
            input = .preset(name: presetName, config: preset.config, fp8: fp8)
        } else {
            guard let path = parsed.positional("input") else {
                throw parsed.error("missing the input checkpoint (or '--preset' with '--dry-run')")
            }
            input = .path(path)
        }
        if !dryRun && output == nil {
            throw parsed.error("missing the output directory")
        }
        if dryRun { output = nil }

        var request = ReshardRequest(input: input, output: output, options: options)
        request.dryRun = dryRun
        request.jsonPath = parsed.string("--json")
        try ReshardRunner.run(request, progressStyle: common.progressStyle) { text in
            print(text, terminator: "")
        }
        return .success
    }
}
