import BlockcastArguments

/// A small command tree shaped like blockcast's, for the parser tests.
enum Fixtures {
    static let convert = Command(
        name: "convert",
        abstract: "Convert a checkpoint to another container.",
        discussion: """
            Reads every tensor of the input and writes it to the output directory, one file \
            per shard, renaming them into place when complete.

            The input is never modified.
            """,
        arguments: [
            .required("input", help: "The checkpoint to read."),
            .optional("label", help: "A name for the report."),
        ],
        options: [
            .value("--output", "dir", help: "Where to write the result.", isRequired: true),
            .value(
                "--format", "format", help: "The container to write.",
                kind: .choice(["hdf5", "safetensors"]), default: "hdf5"),
            .value("--threads", "n", help: "Worker threads.", kind: .positiveInteger),
            .value("--seed", "s", help: "Random seed.", kind: .integer(Int.min...Int.max)),
            .value("--level", "k", help: "Compression level.", kind: .integer(1...19)),
            .value("--tolerance", "x", help: "Largest error allowed.", kind: .number),
            .repeatable("--include", "pattern", help: "Only tensors matching the pattern."),
            .flag("--force", help: "Overwrite an existing output."),
        ])

    static let merge = Command(
        name: "merge",
        abstract: "Merge files.",
        arguments: [.repeating("files", help: "The files to merge.")],
        options: [.flag("--quiet", help: "Print nothing.")])

    static let root = Command(
        name: "tool",
        abstract: "Does things to checkpoints.",
        subcommands: [convert, merge],
        version: "tool 1.2.3")

    /// The root parsed with `arguments`, expected to select a command to run.
    static func run(_ arguments: [String]) throws -> ParsedArguments {
        guard case .run(let parsed) = try root.parse(arguments) else {
            throw ArgumentError(message: "expected a command to run for \(arguments)")
        }
        return parsed
    }
}
