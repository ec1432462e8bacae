import Foundation
import Synchronization

/// Prints `error:`, `warning:` and `note:` lines to standard error, the label coloured on
/// a terminal (see ``ColorPolicy``), each message whole even when threads report at once.
public final class Diagnostics: Sendable {
    /// How serious a line is; the raw value is the label printed before the message.
    public enum Severity: String, Sendable {
        /// Something failed; the command will not succeed.
        case error

        /// Something is suspicious but the command goes on.
        case warning

        /// Extra information; silenced by `--quiet`.
        case note

        /// A suggestion that may fix the error before it.
        case help

        /// The ANSI colour of the label: bold red, yellow, cyan, green.
        var colorCode: String {
            switch self {
            case .error: return "\u{1B}[1;31m"
            case .warning: return "\u{1B}[1;33m"
            case .note: return "\u{1B}[1;36m"
            case .help: return "\u{1B}[1;32m"
            }
        }
    }

    /// The diagnostics of this process, on standard error.
    public static let standard = Diagnostics(
        console: .standardError,
        usesColor: ColorPolicy.usesColor(
            isTerminal: Console.standardError.isTerminal,
            environment: ProcessInfo.processInfo.environment))

    private struct State {
        var isQuiet = false
        var errorCount = 0
        var warningCount = 0
    }

    private let console: Console
    private let usesColor: Bool
    private let state = Mutex(State())

    /// Diagnostics written to `console`, with coloured labels when `usesColor`.
    package init(console: Console, usesColor: Bool) {
        self.console = console
        self.usesColor = usesColor
    }

    /// Whether notes are dropped (`--quiet`); errors and warnings always print.
    public var isQuiet: Bool {
        get { state.withLock { $0.isQuiet } }
        set { state.withLock { $0.isQuiet = newValue } }
    }

    /// How many errors were printed so far.
    public var errorCount: Int { state.withLock { $0.errorCount } }

    /// How many warnings were printed so far.
    public var warningCount: Int { state.withLock { $0.warningCount } }

    /// Prints `error: <message>`.
    public func error(_ message: String) { emit([(.error, message)]) }

    /// Prints `error: <description of error>`: its `description` when it has one.
    public func error(_ error: any Error) { self.error(Diagnostics.message(for: error)) }

    /// Prints `warning: <message>`.
    public func warning(_ message: String) { emit([(.warning, message)]) }

    /// Prints `note: <message>` unless quiet.
    public func note(_ message: String) { emit([(.note, message)]) }

    /// Prints several lines as one block that no other output splits; a line without a
    /// severity prints as plain text (a usage line, a pointer to `--help`).
    public func emit(_ lines: [(severity: Severity?, text: String)]) {
        let quiet = isQuiet
        var text = ""
        var errors = 0
        var warnings = 0
        for (severity, message) in lines {
            if severity == .note && quiet { continue }
            if severity == .error { errors += 1 }
            if severity == .warning { warnings += 1 }
            text += label(severity) + message + "\n"
        }
        guard !text.isEmpty else { return }

        state.withLock { state in
            state.errorCount += errors
            state.warningCount += warnings
        }
        console.writeLines(text)
    }

    /// The text users see for `error`: Foundation's sentence for file-system errors that
    /// escape a pipeline, else its `description` when it is `CustomStringConvertible`
    /// (every domain error of blockcast should be), else Swift's rendering of the value.
    public static func message(for error: any Error) -> String {
        if let cocoa = error as? CocoaError {
            // Foundation's sentence leaves the path out on Linux; users need it.
            return (cocoa.filePath.map { "'\($0)': " } ?? "") + cocoa.localizedDescription
        }
        if let posix = error as? POSIXError { return posix.localizedDescription }
        return String(describing: error)
    }

    private func label(_ severity: Severity?) -> String {
        guard let severity else { return "" }
        if usesColor { return severity.colorCode + severity.rawValue + ":\u{1B}[0m " }
        return severity.rawValue + ": "
    }
}
