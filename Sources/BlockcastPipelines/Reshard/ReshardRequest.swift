import BlockcastContainers
import BlockcastModel
import Foundation

/// One `blockcast reshard` invocation, as the command line gives it.
package struct ReshardRequest: Sendable {
    /// Where the tensors come from.
    package enum Input: Sendable {
        /// A checkpoint file or directory, or a directory of rank files.
        case path(String)
        /// A built-in model shape, planned without files (`--preset`); `fp8` picks the FP8
        /// release layout rather than bfloat16 throughout.
        case preset(name: String, config: ModelConfig, fp8: Bool)
        /// The model shape of a config file, planned without tensors (`--config`).
        case config(path: String, config: ModelConfig, fp8: Bool)
    }

    /// The input.
    package var input: Input
    /// The output directory (nil for a dry run).
    package var output: String?
    /// What to produce.
    package var options: ReshardOptions
    /// Print the plan instead of writing (`--dry-run`).
    package var dryRun = false
    /// Where to write the plan or report as JSON (`--json FILE`).
    package var jsonPath: String?

    /// A request; the rest of the fields take their defaults.
    package init(input: Input, output: String?, options: ReshardOptions) {
        self.input = input
        self.output = output
        self.options = options
    }
}

/// Plans and runs a ``ReshardRequest``, printing the plan (dry run) or a summary of what
/// was written.
package enum ReshardRunner {
    /// Runs `request`; stdout text goes through `print`.
    ///
    /// - Throws: ``ReshardError`` (exit 2) when the input is refused or cannot be converted.
    package static func run(
        _ request: ReshardRequest, progressStyle: ProgressReporter.Style,
        print: (String) -> Void
    ) throws(ReshardError) {
        let source: ReshardSource
        switch request.input {
        case .path(let path):
            source = try ReshardSource.open(path)
        case .preset(let name, let config, let fp8):
            source = ReshardSource.preset(name, config: config, fp8: fp8)
        case .config(let path, let config, let fp8):
            source = ReshardSource.preset(
                path, config: config, fp8: fp8, label: "the model of '\(path)'")
        }
        let options = request.options
        let files = (0..<options.worldSize).map {
            ReshardPipeline.fileName(rank: $0, options: options)
        }

        if request.dryRun {
            try dryRun(source: source, request: request, files: files, print: print)
            return
        }
        let plan = try ReshardPlan.make(input: source.input, options: options)
        guard let output = request.output else {
            preconditionFailure("the command requires an output unless --dry-run")
        }
        let progress = ProgressReporter(
            task: "reshard", totalItems: plan.tensors.count { !$0.method.isScaleOfRequantized },
            totalBytes: Int64(plan.tensors.reduce(0) { $0 + $1.source.byteCount }),
            style: progressStyle)
        let report = try ReshardPipeline.run(
            source: source, plan: plan, output: output, options: options, progress: progress)
        print(report.text(output: output, worldSize: options.worldSize))
        if let jsonPath = request.jsonPath {
            try writeJSON(report.json(worldSize: options.worldSize), to: jsonPath)
        }
    }

    /// Prints the plan; a plan that cannot run (misaligned without re-quantizing) is printed
    /// with its misalignments and then refused.
    private static func dryRun(
        source: ReshardSource, request: ReshardRequest, files: [String],
        print: (String) -> Void
    ) throws(ReshardError) {
        var options = request.options
        let plan: ReshardPlan
        var refusal: ReshardError?
        do {
            plan = try ReshardPlan.make(input: source.input, options: options)
        } catch  where error.code == .misaligned {
            // Plan as if re-quantizing, to show the whole picture, then refuse.
            refusal = error
            options.requantizeMisaligned = true
            plan = try ReshardPlan.make(input: source.input, options: options)
        }
        print(
            plan.text(
                inputLabel: source.label, files: files,
                requantize: request.options.requantizeMisaligned))
        if let jsonPath = request.jsonPath {
            try writeJSON(plan.json(files: files), to: jsonPath)
        }
        if let refusal { throw refusal }
    }

    private static func writeJSON(_ json: JSONValue, to path: String) throws(ReshardError) {
        try ReshardPipeline.writeAtomically(Array((json.prettySerialized() + "\n").utf8), to: path)
    }
}

extension PlannedTensor.Method {
    /// Whether the pieces are made together with another tensor's (a re-quantized scale).
    var isScaleOfRequantized: Bool {
        if case .requantizedScale = self { return true }
        return false
    }
}
