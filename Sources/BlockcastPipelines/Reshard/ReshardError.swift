/// Why `reshard` refused to run or stopped. Every case is caused by the input or the options;
/// the command exits with status 2 and leaves no output of this run behind.
package struct ReshardError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    package enum Code: String, Sendable, Hashable {
        /// Tensor names the sharding table does not know.
        case unknownTensor
        /// Two input tensors would get the same output name.
        case duplicateName
        /// A split dimension, or the routed expert count, does not divide by the world size.
        case indivisible
        /// FP8 slices would not start on 128-element block boundaries.
        case misaligned
        /// A scale tensor does not fit its weight (shape, type, or no weight at all).
        case badScale
        /// A rank directory lacks ranks, mixes world sizes or holds inconsistent pieces.
        case badRankDirectory
        /// The input could not be read.
        case input
        /// The output could not be written.
        case output
        /// `--resume` found files that belong to another plan.
        case resumeMismatch
        /// Options that cannot be used together or with this input.
        case badOption
    }

    /// What kind of failure this is.
    package let code: Code
    /// The first line: what went wrong, naming the input.
    package let message: String
    /// One line per affected tensor or rank, printed under the message.
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
