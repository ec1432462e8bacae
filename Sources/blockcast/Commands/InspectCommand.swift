import BlockcastArguments
import BlockcastPipelines
import Foundation

/// `blockcast inspect`: lists a checkpoint's tensors, dtypes, shapes, sizes, config and scale
/// coverage.
enum InspectCommand: Subcommand {
    static let command = Command(
        name: "inspect",
        abstract: "List a checkpoint's tensors, dtypes, shapes, sizes, config and scales.",
        discussion: """
            Reads headers only: prints one line per tensor (name, dtype, shape, size, \
            file), the totals per dtype, the model's architecture from its config, and \
            which 2-D weights are FP8 with a block scale of the right shape, which scales \
            have no weight and which FP8 weights lack a scale. Works on HDF5 and \
            safetensors files, Hugging Face directories with an index, and rank-file \
            directories.

            --check also reads every tensor and compares its checksum with the \
            manifest; a damaged tensor is named and the exit status is 2.
            """,
        arguments: [.required("checkpoint", help: "A checkpoint file or directory.")],
        options: [
            .flag("--json", help: "Print the listing as JSON instead of a table."),
            .flag("--check", help: "Verify every tensor's checksum against the manifest."),
        ] + CommonOptions.execution)

    static func run(_ parsed: ParsedArguments) throws -> ExitCode {
        _ = try CommonSettings(parsed)
        let path = parsed.positional("checkpoint")!
        let report = try InspectReport.make(path: path)
        if parsed.flag("--json") {
            print(report.json.prettySerialized())
        } else {
            print(report.text, terminator: "")
        }
        if parsed.flag("--check") {
            // The listing first, then the verdict on stderr, in that order on a terminal.
            fflush(nil)
            let count = try InspectCheck.run(path: path)
            Diagnostics.standard.note("checked \(count) tensors against the manifest: all match")
        }
        return .success
    }
}
