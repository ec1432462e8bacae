import BlockcastArguments
import BlockcastPipelines

/// One `blockcast` subcommand: its command-line declaration and the call into the
/// pipeline that does the work. See CommandRegistry.swift for how to add one.
protocol Subcommand: Sendable {
    /// The declaration: name, one-line abstract, discussion, arguments and options
    /// (usually including some of ``CommonOptions``).
    static var command: Command { get }

    /// Does the work for an already validated command line.
    ///
    /// - Returns: ``ExitCode/success``, or ``ExitCode/gateFailed`` when accuracy gates failed.
    /// - Throws: An ``ArgumentError`` (from `parsed.error(…)`) for a bad combination of
    ///   options, exit 64; ``GateFailure``, exit 1; any domain error, printed as
    ///   `error: <description>`, exit 2.
    static func run(_ parsed: ParsedArguments) throws -> ExitCode
}
