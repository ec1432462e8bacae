/// A command line that cannot be parsed.
///
/// Rendered as an `error:` line, an optional `help:` line, the command's usage line and a
/// pointer to its `--help`; the executable prints it to stderr and exits with status 64.
public struct ArgumentError: Error, Sendable, Equatable {
    /// What was wrong, quoting the bad argument: `unknown option '--forse'`.
    public var message: String

    /// A hint that may fix it, such as `did you mean '--force'?`, or `nil`.
    public var help: String?

    /// The usage line of the command the error belongs to, or `nil` when not known.
    public var usage: String?

    /// The command line that shows the full help, such as `blockcast quantize --help`.
    public var helpCommand: String?

    /// An error with the given message and hint, not yet tied to a command.
    public init(message: String, help: String? = nil) {
        self.message = message
        self.help = help
    }

    /// The same error, tied to `command` (found at `path`) for its usage line.
    package func within(_ command: Command, path: [String]) -> ArgumentError {
        var copy = self
        copy.usage = copy.usage ?? command.usageLine(path: path)
        copy.helpCommand = copy.helpCommand ?? (path + ["--help"]).joined(separator: " ")
        return copy
    }

    /// The lines to print, each with its label (`error`, `help`, or `nil` for plain text).
    public var lines: [(label: String?, text: String)] {
        var lines: [(label: String?, text: String)] = [("error", message)]
        if let help { lines.append(("help", help)) }
        if let usage { lines.append((nil, usage)) }
        if let helpCommand { lines.append((nil, "Run '\(helpCommand)' to see every option.")) }
        return lines
    }

    /// The whole message as plain text, one line per entry, ending with a newline.
    public var rendered: String {
        lines.map { line in line.label.map { "\($0): \(line.text)" } ?? line.text }
            .joined(separator: "\n") + "\n"
    }
}

extension ArgumentError: CustomStringConvertible {
    /// The message without usage or hint, for logs.
    public var description: String { message }
}
