/// A named command-line option: a flag (`--force`) or an option with a value
/// (`--format hdf5`, `--format=hdf5`).
public struct Option: Sendable, Equatable {
    /// The long name with its dashes: `--format`.
    public var name: String

    /// The placeholder shown in help for the value (`format` shows as `<format>`), or `nil`
    /// for a flag.
    public var valueName: String?

    /// One or two sentences for the help page.
    public var help: String

    /// What the value must look like.
    public var kind: ValueKind

    /// The value used when the option is not given, shown in help; `nil` for none.
    public var defaultValue: String?

    /// Whether the command refuses to run without this option.
    public var isRequired: Bool

    /// Whether the option may be given more than once, each value kept
    /// (`--include a --include b`).
    public var isRepeatable: Bool

    /// Whether this is a flag, which takes no value.
    public var isFlag: Bool { valueName == nil }

    /// A flag such as `--force`: present or not, no value.
    public static func flag(_ name: String, help: String) -> Option {
        Option(
            name: name, valueName: nil, help: help, kind: .text, defaultValue: nil,
            isRequired: false, isRepeatable: false)
    }

    /// An option taking one value, such as `--format <format>`.
    ///
    /// - Parameters:
    ///   - name: The long name with its dashes.
    ///   - valueName: The placeholder for the value in help, without angle brackets.
    ///   - help: The help text.
    ///   - kind: What the value must look like.
    ///   - defaultValue: The value when the option is absent (must fit `kind`).
    ///   - isRequired: Whether the option must be given; excludes a default.
    public static func value(
        _ name: String, _ valueName: String, help: String, kind: ValueKind = .text,
        default defaultValue: String? = nil, isRequired: Bool = false
    ) -> Option {
        precondition(
            !(isRequired && defaultValue != nil), "\(name): a required option has no default")
        precondition(
            defaultValue.map { kind.validate($0, for: name) == nil } ?? true,
            "\(name): the default does not fit the option's kind")
        return Option(
            name: name, valueName: valueName, help: help, kind: kind,
            defaultValue: defaultValue, isRequired: isRequired, isRepeatable: false)
    }

    /// An option that may be given several times, each value kept in order, such as
    /// `--include <pattern>`.
    public static func repeatable(
        _ name: String, _ valueName: String, help: String, kind: ValueKind = .text
    ) -> Option {
        Option(
            name: name, valueName: valueName, help: help, kind: kind, defaultValue: nil,
            isRequired: false, isRepeatable: true)
    }

    /// The option as the help page and usage line show it: `--format <format>`.
    var synopsis: String {
        valueName.map { "\(name) <\($0)>" } ?? name
    }
}
