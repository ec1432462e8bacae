/// A positional argument, such as the input checkpoint of `blockcast inspect <input>`.
public struct Argument: Sendable, Equatable {
    /// The name used in help (`input` shows as `<input>`) and for lookup.
    public var name: String

    /// One or two sentences for the help page.
    public var help: String

    /// What the value must look like.
    public var kind: ValueKind

    /// Whether the command runs without it; optional arguments follow required ones.
    public var isOptional: Bool

    /// Whether it takes every remaining positional value (it must be the last argument).
    public var isRepeating: Bool

    /// An argument that must be given.
    public static func required(
        _ name: String, help: String, kind: ValueKind = .text
    ) -> Argument {
        Argument(name: name, help: help, kind: kind, isOptional: false, isRepeating: false)
    }

    /// An argument that may be left out.
    public static func optional(
        _ name: String, help: String, kind: ValueKind = .text
    ) -> Argument {
        Argument(name: name, help: help, kind: kind, isOptional: true, isRepeating: false)
    }

    /// The last argument, taking one or more values (or zero or more when `isOptional`).
    public static func repeating(
        _ name: String, help: String, kind: ValueKind = .text, isOptional: Bool = false
    ) -> Argument {
        Argument(name: name, help: help, kind: kind, isOptional: isOptional, isRepeating: true)
    }

    /// The argument as the usage line shows it: `<input>`, `[<input>]`, `<input> ...`.
    var synopsis: String {
        let core = "<\(name)>" + (isRepeating ? " ..." : "")
        return isOptional ? "[\(core)]" : core
    }
}
