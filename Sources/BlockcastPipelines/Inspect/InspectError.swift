/// Why `inspect` could not list a checkpoint or found it damaged; the command exits with
/// status 2.
package struct InspectError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    package enum Code: String, Sendable, Hashable {
        /// The checkpoint could not be opened or read.
        case unreadable
        /// `--check` was asked for, but there is no manifest to check against.
        case noManifest
        /// `--check` found tensors that differ from the manifest.
        case damaged
    }

    /// What kind of failure this is.
    package let code: Code
    /// The first line, naming the checkpoint.
    package let message: String
    /// One line per damaged tensor.
    package let details: [String]

    /// An error with a summary sentence and optional detail lines.
    package init(_ code: Code, _ message: String, details: [String] = []) {
        self.code = code
        self.message = message
        self.details = details
    }

    /// The message followed by its detail lines, indented.
    package var description: String {
        ([message] + details.map { "  " + $0 }).joined(separator: "\n")
    }
}
