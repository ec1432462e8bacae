/// A tensor name that the naming table cannot translate.
///
/// Names are never guessed: a module the table does not list, or a name without the dotted
/// structure a checkpoint tensor has, is this error, and the message quotes the tensor.
public struct NamingError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public enum Code: String, Sendable, Hashable {
        /// The module (second-to-last component) is not in the table.
        case unknownModule
        /// The name lacks the components every tensor name has (a module and a leaf).
        case malformedName
        /// A name already uses the other spelling in a way the inverse could not undo.
        case ambiguous
        /// A name that only multi-token-prediction layers have appears elsewhere.
        case misplacedModule
    }

    /// What kind of failure this is.
    public let code: Code
    /// The tensor name as it was given.
    public let tensor: String
    /// The full sentence describing what was expected and what was found.
    public let message: String

    /// Creates an error; `message` should quote `tensor`.
    public init(_ code: Code, tensor: String, _ message: String) {
        self.code = code
        self.tensor = tensor
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
