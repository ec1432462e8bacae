/// A verification run that could not be made: bad tokens, a bad gate or gate file, a
/// checkpoint that disagrees with its config, a reference logits file of the wrong shape.
///
/// Every one of these ends `verify` and `run` with exit status 2, never 1: a failed gate is a
/// result, this is the absence of one. ``message`` is a full sentence that names the file and
/// says what was expected and what was found.
public struct VerifyError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public enum Code: String, Sendable, Hashable {
        /// The token file cannot be read or parsed, or a token id is not an integer.
        case unreadableTokens
        /// A token id is outside the vocabulary or a sequence is longer than `max_seq_len`.
        case tokensOutOfRange
        /// A gate expression (`kl.mean <= 1e-3`) cannot be parsed or names no known metric.
        case invalidGate
        /// A gate file is not valid JSON, has the wrong format or version, or a bad entry.
        case invalidGateFile
        /// A gate asks for a metric this run cannot measure.
        case unmeasurableGate
        /// A reference logits file is missing, unreadable or disagrees with the tokens.
        case invalidReferenceLogits
        /// A checkpoint cannot serve as the candidate or reference that was asked for.
        case unusableCheckpoint
        /// The options contradict each other (a path the candidate cannot run, and so on).
        case invalidRequest
        /// A report file cannot be written.
        case unwritableReport
    }

    /// What kind of failure this is.
    public let code: Code
    /// The full sentence describing what was expected and what was found.
    public let message: String

    /// Creates an error; `message` should name the file or value at fault.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
