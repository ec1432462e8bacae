/// The exit statuses of `blockcast`, the same for every command, so CI can tell a failed
/// gate from a run that could not be made.
public enum ExitCode: Int32, Sendable {
    /// The command did what was asked; for `verify`, every gate held.
    case success = 0

    /// `verify` ran, and at least one accuracy gate failed.
    case gateFailed = 1

    /// The run could not be made: bad input, a missing tensor, a corrupt file, a config
    /// mismatch. Nothing was left half-written.
    case badInput = 2

    /// The command line itself was wrong (`EX_USAGE` from sysexits.h).
    case usage = 64
}

/// Thrown by a pipeline whose accuracy gates did not hold; the executable exits with
/// ``ExitCode/gateFailed`` after printing the message.
///
/// A pipeline that prints its own report may instead return ``ExitCode/gateFailed``; this
/// error is for code that finds the failure deep inside a call chain.
public struct GateFailure: Error, Sendable, CustomStringConvertible {
    /// Which gates failed, with their bounds and measured values.
    public var message: String

    /// A gate failure with the given explanation.
    public init(message: String) { self.message = message }

    /// The message, as printed after `error: `.
    public var description: String { message }
}
