import BlockcastArguments
import BlockcastFormats
import BlockcastPipelines
import Foundation

/// `blockcast verify`: compares converted checkpoints with the original and holds them to
/// accuracy gates.
enum VerifyCommand: Subcommand {
    static let command = Command(
        name: "verify",
        abstract: "Check that converted weights still compute what the original computed.",
        discussion: """
            Runs the original checkpoint in float32 (the reference) and every candidate on \
            the same tokens, compares the logits of every position (error, cosine, KL, \
            top-1/top-5, greedy perplexity), the expert routing and the hidden state after \
            each block, and checks each candidate against its gates.

            Candidates are checkpoints on disk (--candidate: what quantize or reshard \
            wrote) or derived in memory (--what-if fp8 or bf16). An FP8 candidate runs on \
            the fp8-dequant and fp8-gemm paths, a bfloat16 one on bf16; rank files run \
            sharded in process and are compared with the original run unsharded on the \
            same path, where the expectation is near-identity. FP8 rank files run on \
            fp8-dequant unless --path fp8-gemm asks: there sharding's float32 summation \
            order flips activation roundings near ties, so it is not near-identity. \
            --path keeps only the listed paths.

            Gates are bounds such as 'kl.mean <= 1e-3' from --gate, a gate file (--gates), \
            or the built-in defaults (formats/gates); metric names and definitions are in \
            formats/report.md.

            Exit status: 0 every gate held, 1 a gate failed (each failing gate is named \
            with its bound and measured value), 2 the run could not be made (bad tokens, a \
            missing tensor, a checkpoint that does not match its config, a bad gate file).
            """,
        arguments: [
            .optional(
                "checkpoint",
                help: "The original checkpoint: the reference and the base of --what-if.")
        ],
        options: [
            .repeatable(
                "--candidate", "checkpoint",
                help: "A converted checkpoint or a directory of rank files to compare."),
            .repeatable(
                "--what-if", "kind",
                help: "Derive a candidate in memory from the original: fp8 or bf16.",
                kind: .choice(WhatIf.allCases.map(\.rawValue))),
            .value(
                "--scale-format", "format", help: "Block scales of --what-if fp8.",
                kind: .choice(ScaleFormat.allCases.map(\.rawValue)), default: "fp32"),
            .repeatable(
                "--path", "path", help: "Run only these paths.",
                kind: .choice(VerifyPath.allCases.map(\.rawValue))),
            .flag(
                "--bf16-activations",
                help: "On the bf16 path, round the hidden state to bfloat16 between blocks "
                    + "too, as a bfloat16 runtime keeps it."),
            .value(
                "--tokens", "file",
                help: "Token ids, one sequence per line (spaces or commas) or a JSON array "
                    + "of arrays."),
            .value(
                "--sequences", "k", help: "Generated sequences (without --tokens).",
                kind: .positiveInteger, default: "4"),
            .value(
                "--length", "t", help: "Positions per generated sequence.",
                kind: .positiveInteger, default: "32"),
            .value(
                "--seed", "s", help: "Seed of the generated tokens.", kind: .nonNegativeInteger,
                default: "0"),
            .value(
                "--reference-logits", "file",
                help: "Take the reference from a logits file (what 'blockcast run' writes) "
                    + "instead of computing it."),
            .value(
                "--reference-tensor", "name", help: "The tensor of --reference-logits to read.",
                default: LogitsFile.logitsTensor),
            .repeatable(
                "--gate", "gate",
                help: "A gate such as 'kl.mean<=1e-3' or 'sharded:routing==1'; repeatable."),
            .value("--gates", "file", help: "A gate file (formats/gate-file.md)."),
            .value("--json", "file", help: "Write the report as JSON (formats/report.md)."),
            .value("--junit", "file", help: "Write the gates as JUnit XML test cases."),
            .value("--html", "file", help: "Write an HTML page with charts."),
        ] + CommonOptions.execution)

    static func run(_ parsed: ParsedArguments) throws -> ExitCode {
        let common = try CommonSettings(parsed)
        var options = VerifyOptions()
        options.checkpoint = parsed.positional("checkpoint")
        options.candidates = parsed.strings("--candidate")
        options.whatIfs = parsed.strings("--what-if").compactMap(WhatIf.init)
        options.scaleFormat = ScaleFormat(rawValue: parsed.string("--scale-format")!)!
        options.paths = parsed.strings("--path").compactMap(VerifyPath.init)
        options.bfloat16Activations = parsed.flag("--bf16-activations")
        options.referenceLogits = parsed.string("--reference-logits")
        options.referenceTensor = parsed.string("--reference-tensor")!
        options.gateFile = parsed.string("--gates")
        options.tokens = try tokenSource(parsed, optional: options.referenceLogits != nil)
        do {
            options.gates = try parsed.strings("--gate").map(Gate.init(parsing:))
        } catch {
            throw parsed.error(error.message)
        }

        if options.checkpoint == nil && options.candidates.isEmpty {
            throw parsed.error(
                "missing the checkpoint", help: "blockcast verify ORIGINAL --what-if fp8")
        }
        if options.candidates.isEmpty && options.whatIfs.isEmpty
            && options.referenceLogits == nil
        {
            throw parsed.error(
                "nothing to compare the checkpoint with",
                help: "give '--candidate CHECKPOINT', '--what-if fp8' or '--reference-logits FILE'")
        }
        if parsed.isPresent("--scale-format") && !options.whatIfs.contains(.fp8) {
            throw parsed.error("'--scale-format' applies to '--what-if fp8' only")
        }

        let note: (String) -> Void = { common.isQuiet ? () : Diagnostics.standard.note($0) }
        let report = try VerifyPipeline(options: options, note: note).run()
        print(report.table(), terminator: "")
        try write(report.jsonData(), to: parsed.string("--json"))
        try write(Data(report.junitXML().utf8), to: parsed.string("--junit"))
        try write(Data(report.html().utf8), to: parsed.string("--html"))
        return report.passed ? .success : .gateFailed
    }

    /// The tokens the options ask for; nil when none are given and `optional`.
    static func tokenSource(
        _ parsed: ParsedArguments, optional: Bool
    ) throws(ArgumentError) -> TokenSource? {
        let generatedOptions = ["--sequences", "--length", "--seed"].filter(parsed.isPresent)
        if let file = parsed.string("--tokens") {
            if let first = generatedOptions.first {
                throw parsed.error("options '--tokens' and '\(first)' exclude each other")
            }
            return .file(file)
        }
        if optional && generatedOptions.isEmpty { return nil }
        return .generated(
            sequences: parsed.int("--sequences")!, length: parsed.int("--length")!,
            seed: UInt64(parsed.int("--seed")!))
    }

    /// Writes a report file through a temporary name, when one was asked for.
    static func write(_ data: Data, to path: String?) throws {
        guard let path else { return }
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw VerifyError(.unwritableReport, "cannot write the report '\(path)'")
        }
    }
}
