// HOW TO ADD A COMMAND
//
// 1. Write the pipeline in Sources/BlockcastPipelines (the logic, tested there). The command
//    file only translates the command line into a call; it holds no conversion logic.
//
// 2. Add Sources/blockcast/Commands/<Name>Command.swift:
//
//        import BlockcastArguments
//        import BlockcastPipelines
//
//        /// `blockcast inspect`: lists a checkpoint's tensors.
//        enum InspectCommand: Subcommand {
//            static let command = Command(
//                name: "inspect",
//                abstract: "List a checkpoint's tensors, dtypes, shapes and config.",
//                discussion: "Longer prose, wrapped to 80 columns by the help page.",
//                arguments: [.required("checkpoint", help: "An HDF5 or safetensors file.")],
//                options: [
//                    .value("--format", "format", help: "How to print the listing.",
//                           kind: .choice(["table", "json"]), default: "table"),
//                    .repeatable("--include", "pattern", help: "Only matching tensors."),
//                    .flag("--force", help: "Overwrite an existing output."),
//                ] + CommonOptions.execution)  // + [CommonOptions.part] if it splits work
//
//            static func run(_ parsed: ParsedArguments) throws -> ExitCode {
//                let common = try CommonSettings(parsed)  // applies --threads and --quiet
//                let input = parsed.positional("checkpoint")!  // required: always present
//                ... call the pipeline, passing common.progress(...) / common.partition ...
//                return .success
//            }
//        }
//
//    Values are validated while parsing (`kind:`), before `run` starts: `parsed.int(…)`,
//    `parsed.double(…)` and `parsed.string(…)` of a required or defaulted option are never
//    nil. For checks only the command can make, throw `parsed.error("…", help: "…")`:
//    that prints the usage line and exits 64. Name options in messages in quotes:
//    `options '--world-size' and '--merge' exclude each other`.
//
// 3. Add ONE line to `CommandRegistry.commands` below, in the order help should list it.
//
// 4. Add an end-to-end test in Tests/BlockcastEndToEndTests/<Name>CommandTests.swift using
//    `BinaryRun.blockcast([...])` (stdout, stderr and the exit status, exactly).
//
// Conventions every command keeps:
// - Results go to stdout; diagnostics go through `Diagnostics.standard` (stderr); progress
//   through a `ProgressReporter` made by `CommonSettings.progress(...)` (stderr).
// - A machine-readable report is written to the file named by the command's own
//   `--json FILE` option (not to stdout); `--progress json` is the separate stream of
//   progress events on stderr.
// - Exit statuses come from `ExitCode`: return `.success` or `.gateFailed`; throw domain
//   errors (their `description` is printed after `error: `, exit 2) and never leave a
//   half-written output behind.
// - Register a command only when its pipeline works: no placeholders.

/// Every `blockcast` subcommand, one line each, in the order `blockcast --help` lists them.
enum CommandRegistry {
    static let commands: [any Subcommand.Type] = [
        SynthCommand.self,
        QuantizeCommand.self,
        DequantizeCommand.self,
        ReshardCommand.self,
        InspectCommand.self,
        VerifyCommand.self,
        RunCommand.self,
    ]
}
