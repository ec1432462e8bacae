import BlockcastArguments
import BlockcastContainers
import BlockcastFormats
import BlockcastPipelines

/// `blockcast quantize`: full-precision weights to FP8 E4M3 with 128x128 block scales.
enum QuantizeCommand: Subcommand {
    static let command = Command(
        name: "quantize",
        abstract: "Convert float32/float16/bfloat16 weights to FP8 E4M3 with block scales.",
        discussion: """
            Attention projections and MLP/expert gate, up and down projections become FP8 \
            E4M3 in 128x128 tiles, each weight with a float32 '<name>_scale_inv' (amax/448); \
            embeddings, head, router and norms become bfloat16; e_score_correction_bias \
            stays float32. config.json gains quantization_config (fp8, e4m3, dynamic, \
            [128, 128], scale_fmt ue8m0 for power-of-two scales).

            Patterns for --include (more tensors to FP8, 2-D only) and --exclude (keep in \
            bfloat16) match whole tensor names: '*' matches any run of characters including \
            dots, '?' one character, '[0-9]' or '[!0-9]' one character of a set, '\\' quotes \
            the next character. Repeat the option or separate patterns with commas, e.g. \
            --exclude '*.experts.*,lm_head.weight'. A pattern that matches no tensor is an \
            error.

            Output is split into files by layer (model-0000i-of-0000n.safetensors with an \
            index, or .h5 files), each written under a hidden name and renamed when complete; \
            config.json and blockcast-manifest.json come last. --resume keeps the files an \
            interrupted run finished and gives the same bytes as an uninterrupted run. With \
            --part i/n (or launcher variables) each of n processes writes every n-th file into \
            the same directory; the process that finds all files done merges the index, config \
            and manifest under an exclusive lock file; --merge does only that step.
            """,
        arguments: [
            .required("input", help: "A checkpoint file or directory (HDF5 or safetensors)."),
            .optional("output", help: "The output directory (not needed with --dry-run)."),
        ],
        options: [
            .value(
                "--to", "precision", help: "What the converted tensors become.",
                kind: .choice(["fp8", "bf16"]), default: "fp8"),
            .value(
                "--scale-format", "format",
                help: "Block scales: fp32 (amax/448), ue8m0 (its power-of-two ceiling, stored "
                    + "as float32) or e8m0 (the same, stored as one byte, F8_E8M0).",
                kind: .choice(["fp32", "ue8m0", "e8m0"]), default: "fp32"),
            .value(
                "--format", "container", help: "The output container (default: the input's).",
                kind: .choice(["hdf5", "safetensors"])),
            .value(
                "--compress", "method",
                help: "Compress HDF5 output datasets: zstd or zstd:N with N from 1 to 22."),
            .repeatable("--include", "pattern", help: "Also convert matching 2-D tensors."),
            .repeatable("--exclude", "pattern", help: "Keep matching tensors in bfloat16."),
            .value(
                "--max-file-size", "mib",
                help: "Start a new output file before one exceeds this many MiB (default 4096).",
                kind: .positiveInteger),
            .flag("--dry-run", help: "Print the plan and the output size without writing."),
            .flag("--resume", help: "Keep the files an interrupted run of the same plan wrote."),
            .flag("--force", help: "Replace the checkpoint files in the output directory."),
            .flag("--allow-nonfinite", help: "Convert weights holding NaN or infinity."),
            .flag("--merge", help: "Only merge the index, config and manifest of finished parts."),
            .value("--json", "file", help: "Also write the plan and every statistic as JSON."),
            CommonOptions.part,
        ] + CommonOptions.execution)

    static func run(_ parsed: ParsedArguments) throws -> ExitCode {
        MemoryPolicy.returnLargeBlocksToTheSystem()
        let common = try CommonSettings(parsed)
        let dryRun = parsed.flag("--dry-run")
        let input = parsed.positional("input")!
        guard let output = parsed.positional("output") ?? (dryRun ? "" : nil) else {
            throw parsed.error("missing the output directory", help: "or pass '--dry-run'")
        }
        if parsed.flag("--resume") && parsed.flag("--force") {
            throw parsed.error("options '--resume' and '--force' exclude each other")
        }

        var options = QuantizeOptions(input: input, output: output)
        options.policy = TensorPolicy(
            mode: parsed.string("--to") == "bf16" ? .bf16 : .fp8,
            include: try patterns(parsed.strings("--include")),
            exclude: try patterns(parsed.strings("--exclude")))
        switch parsed.string("--scale-format")! {
        case "ue8m0":
            options.scaleFormat = .ue8m0
        case "e8m0":
            options.scaleFormat = .ue8m0
            options.scaleStorage = .float8E8M0
        default:
            options.scaleFormat = .float32
        }
        if let format = parsed.string("--format") {
            options.format = format == "hdf5" ? .hdf5 : .safetensors
        }
        if let compress = parsed.string("--compress") {
            options.zstdLevel = try CompressOption.level(compress, parsed)
        }
        if let mib = parsed.int("--max-file-size") { options.maxFileBytes = mib << 20 }
        options.dryRun = dryRun
        options.resume = parsed.flag("--resume")
        options.force = parsed.flag("--force")
        options.allowNonFinite = parsed.flag("--allow-nonfinite")
        options.mergeOnly = parsed.flag("--merge")
        options.partIndex = common.partition.index
        options.partCount = common.partition.count

        let pipeline = QuantizePipeline(options: options)
        let prepared = try pipeline.prepare()
        let plan = prepared.plan
        if dryRun {
            print(QuantizeReport(plan: plan, statistics: [:]).planText(), terminator: "")
            try writeJSON(parsed, QuantizeReport(plan: plan, statistics: [:]), options, false)
            return .success
        }

        let mine = plan.files.indices.filter(common.partition.owns)
        let entries = mine.flatMap { plan.files[$0].entries }
        let reporter = common.progress(
            task: "quantize", totalItems: entries.count,
            totalBytes: Int64(entries.reduce(0) { $0 + plan.entries[$1].inputBytes }))
        let outcome = try pipeline.run(prepared) { tensors, bytes in
            reporter.update(itemsDone: tensors, bytesDone: Int64(bytes))
        }
        reporter.finish()

        let report = QuantizeReport(plan: plan, statistics: outcome.statistics)
        print(report.errorText(), terminator: "")
        try writeJSON(parsed, report, options, outcome.merged)
        if !outcome.resumedFiles.isEmpty {
            Diagnostics.standard.note(
                "kept \(outcome.resumedFiles.count) file(s) an earlier run had finished")
        }
        if outcome.merged {
            print(
                "wrote \(plan.files.count) file(s) to \(output): "
                    + "\(ByteCount.text(Int64(plan.inputBytes))) in, "
                    + "\(ByteCount.text(Int64(plan.outputBytes))) out")
        } else if !outcome.waitingFor.isEmpty {
            Diagnostics.standard.note(
                "part \(common.partition) finished its files; \(outcome.waitingFor.count) "
                    + "file(s) of other parts remain, and the last part to finish merges")
        } else {
            Diagnostics.standard.note("another process is merging the parts")
        }
        return .success
    }

    /// The patterns of a repeatable option, each value split at commas.
    private static func patterns(_ values: [String]) throws -> [NamePattern] {
        try values.flatMap { $0.split(separator: ",") }.map { try NamePattern(String($0)) }
    }

    private static func writeJSON(
        _ parsed: ParsedArguments, _ report: QuantizeReport, _ options: QuantizeOptions,
        _ merged: Bool
    ) throws {
        guard let path = parsed.string("--json") else { return }
        let json = try report.json(
            input: options.input, output: options.output, options: options, merged: merged)
        try OutputFiles.writeAtomically(json.prettySerialized() + "\n", to: path)
    }
}
