import BlockcastArguments
import BlockcastFormats
import BlockcastPipelines

/// `blockcast run`: the forward pass alone, saving every position's logits.
enum RunCommand: Subcommand {
    static let command = Command(
        name: "run",
        abstract: "Run the model and save the logits of every position.",
        discussion: """
            Runs the checkpoint on the tokens and writes a safetensors file with the \
            float32 logits of every position, tensor 'logits' of shape [sequences, \
            positions, vocab], and the tokens themselves, tensor 'tokens' (int64). A set \
            of rank files runs sharded, in process. 'blockcast verify --reference-logits' \
            reads the file back as its reference.
            """,
        arguments: [.required("checkpoint", help: "The checkpoint or directory of rank files.")],
        options: [
            .value("--logits", "file", help: "The safetensors file to write.", isRequired: true),
            .value(
                "--path", "path", help: "The arithmetic.",
                kind: .choice(
                    VerifyPath.allCases.filter { $0 != .sharded }.map(\.rawValue)),
                default: "fp32"),
            .value(
                "--what-if", "kind",
                help: "Convert the weights in memory first, as 'quantize' would: fp8 or bf16.",
                kind: .choice(WhatIf.allCases.map(\.rawValue))),
            .value(
                "--scale-format", "format", help: "Block scales of --what-if fp8.",
                kind: .choice(ScaleFormat.allCases.map(\.rawValue)), default: "fp32"),
            .value(
                "--tokens", "file",
                help: "Token ids, one sequence per line (spaces or commas) or a JSON array "
                    + "of arrays; every sequence of the same length."),
            .value(
                "--sequences", "k", help: "Generated sequences (without --tokens).",
                kind: .positiveInteger, default: "4"),
            .value(
                "--length", "t", help: "Positions per generated sequence.",
                kind: .positiveInteger, default: "32"),
            .value(
                "--seed", "s", help: "Seed of the generated tokens.", kind: .nonNegativeInteger,
                default: "0"),
        ] + CommonOptions.execution)

    static func run(_ parsed: ParsedArguments) throws -> ExitCode {
        let common = try CommonSettings(parsed)
        guard let tokens = try VerifyCommand.tokenSource(parsed, optional: false) else {
            preconditionFailure("token source is never optional here")
        }
        var options = RunPipeline.Options(
            checkpoint: parsed.positional("checkpoint")!, tokens: tokens,
            output: parsed.string("--logits")!)
        options.path = VerifyPath(rawValue: parsed.string("--path")!)!
        options.whatIf = parsed.string("--what-if").flatMap(WhatIf.init)
        options.scaleFormat = ScaleFormat(rawValue: parsed.string("--scale-format")!)!
        if parsed.isPresent("--scale-format") && options.whatIf != .fp8 {
            throw parsed.error("'--scale-format' applies to '--what-if fp8' only")
        }

        if !common.isQuiet {
            Diagnostics.standard.note("running \(options.path.rawValue) of \(options.checkpoint)")
        }
        let summary = try RunPipeline(options: options).run()
        print(
            "wrote \(options.output): logits [\(summary.sequences), \(summary.positions), "
                + "\(summary.vocabularySize)] on \(summary.path.rawValue)"
                + (summary.worldSize > 1 ? " ×\(summary.worldSize) ranks" : ""))
        return .success
    }
}
