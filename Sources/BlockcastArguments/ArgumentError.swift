/// A command line that cannot be parsed.
public struct ArgumentError: Error, Sendable {
    /// What was wrong, quoting the bad argument.
    public var message: String

    /// An error with the given message.
    public init(message: String) { self.message = message }
}
