import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Standard error, shared by ``Diagnostics`` and ``ProgressReporter`` behind one lock so
/// that lines from different threads never interleave and a diagnostic never lands in the
/// middle of a progress line.
public final class Console: Sendable {
    /// The process's standard error.
    public static let standardError = Console(
        isTerminal: isatty(STDERR_FILENO) == 1,
        write: { Console.writeAll($0, to: STDERR_FILENO) })

    /// Whether the output is a terminal, where progress is drawn in place.
    public let isTerminal: Bool

    private struct State {
        /// Whether a status line is drawn and not yet ended by a newline.
        var statusShowing = false
    }

    private let state = Mutex(State())
    private let write: @Sendable (String) -> Void

    /// A console writing through `write`; tests capture output this way.
    package init(isTerminal: Bool, write: @escaping @Sendable (String) -> Void) {
        self.isTerminal = isTerminal
        self.write = write
    }

    /// Writes `text` (whole lines, each ending with a newline), first clearing a status
    /// line that is showing; the next status update draws it again.
    public func writeLines(_ text: String) {
        state.withLock { state in
            if state.statusShowing {
                write("\r\u{1B}[K")
                state.statusShowing = false
            }
            write(text)
        }
    }

    /// Draws `line` in place of the current status line (terminals only; a carriage return
    /// and clear-to-end-of-line, no newline).
    public func drawStatus(_ line: String) {
        state.withLock { state in
            write("\r" + line + "\u{1B}[K")
            state.statusShowing = true
        }
    }

    /// Removes the status line, leaving the cursor at the start of an empty line.
    public func clearStatus() {
        state.withLock { state in
            if state.statusShowing { write("\r\u{1B}[K") }
            state.statusShowing = false
        }
    }

    /// Writes every byte of `text` to `descriptor`, retrying short and interrupted writes;
    /// gives up silently when the reader is gone (nothing useful can be reported then).
    private static func writeAll(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(
                    descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}

/// Whether to colour output, following the conventions users set in their environment.
public enum ColorPolicy {
    /// Colour only on a terminal, never when `NO_COLOR` is set to a non-empty value
    /// (no-color.org) or `TERM` is `dumb`.
    public static func usesColor(isTerminal: Bool, environment: [String: String]) -> Bool {
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
        if environment["TERM"] == "dumb" { return false }
        return isTerminal
    }
}
