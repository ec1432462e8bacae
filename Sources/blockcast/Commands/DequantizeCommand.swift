import BlockcastArguments
import BlockcastContainers
import BlockcastFormats
import BlockcastPipelines

/// `blockcast dequantize`: FP8 weights and their block scales back to bfloat16 or float32.
enum DequantizeCommand: Subcommand {
    static let command = Command(
        name: "dequantize",
        abstract: "Convert FP8 weights with block scales back to bfloat16 or float32.",
        discussion: """
            Each FP8 E4M3 weight is multiplied by its 128x128 block scales (float32 or e8m0) \
            and written as bfloat16 (rounded to nearest even) or float32; the scale tensors \
            and the config's quantization_config are removed. Works on Hugging Face \
            checkpoints ('…weight' + '…weight_scale_inv', any number of files, index \
            rewritten) and on rank files ('….weight' + '….scale'): each input file becomes \
            an output file of the same name. A weight without its scale, or a scale of the \
            wrong shape, is an error naming both.
            """,
        arguments: [
            .required("input", help: "An FP8 checkpoint file or directory, or rank files."),
            .required("output", help: "The output directory."),
        ],
        options: [
            .value(
                "--to", "type", help: "What the FP8 weights become.",
                kind: .choice(["bf16", "bfloat16", "fp32", "float32"]), default: "bf16"),
            .flag("--resume", help: "Keep the files an interrupted run finished."),
            .flag("--force", help: "Replace the checkpoint files in the output directory."),
        ] + CommonOptions.execution)

    static func run(_ parsed: ParsedArguments) throws -> ExitCode {
        MemoryPolicy.returnLargeBlocksToTheSystem()
        let common = try CommonSettings(parsed)
        if parsed.flag("--resume") && parsed.flag("--force") {
            throw parsed.error("options '--resume' and '--force' exclude each other")
        }
        var options = DequantizeOptions(
            input: parsed.positional("input")!, output: parsed.positional("output")!)
        options.target =
            ["fp32", "float32"].contains(parsed.string("--to")!) ? .float32 : .bfloat16
        options.resume = parsed.flag("--resume")
        options.force = parsed.flag("--force")

        let pipeline = DequantizePipeline(options: options)
        let prepared = try pipeline.prepare()
        let items = prepared.files.flatMap(\.items)
        let reporter = common.progress(
            task: "dequantize", totalItems: items.count,
            totalBytes: Int64(items.reduce(0) { $0 + $1.source.byteCount }))
        try pipeline.run(prepared) { done, bytes in
            reporter.update(itemsDone: done, bytesDone: Int64(bytes))
        }
        reporter.finish()
        let converted = items.filter { $0.scale != nil }.count
        print(
            "dequantized \(converted) FP8 weight(s) to \(options.target.hdf5AttributeName) in "
                + "\(prepared.files.count) file(s) in \(options.output)")
        return .success
    }
}
