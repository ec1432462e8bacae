/// The values of one parsed command line, already checked against the command's
/// declaration.
///
/// Accessors take the declared names (`"--format"`, `"input"`); asking for a name the
/// command did not declare, or for the wrong kind, is a programmer error and traps.
public struct ParsedArguments: Sendable {
    /// The command that was selected (the leaf).
    public let command: Command

    /// The names from the root to the selected command: `["blockcast", "quantize"]`.
    public let commandPath: [String]

    /// The values given per option name, in command-line order (flags map to `[""]`).
    let optionValues: [String: [String]]

    /// The values given per argument name, in command-line order.
    let argumentValues: [String: [String]]

    /// Whether the command declares the option `name`; shared option readers use it to
    /// skip options a command does not take.
    public func declares(_ name: String) -> Bool {
        command.allOptions.contains { $0.name == name }
    }

    /// Whether the flag `name` was given.
    public func flag(_ name: String) -> Bool {
        precondition(declaredOption(name).isFlag, "\(name) is not a flag")
        return optionValues[name] != nil
    }

    /// Whether the option `name` was given on the command line (not defaulted).
    public func isPresent(_ name: String) -> Bool {
        _ = declaredOption(name)
        return optionValues[name] != nil
    }

    /// The value of option `name`: the one given, else its default, else `nil`.
    public func string(_ name: String) -> String? {
        let option = declaredOption(name)
        precondition(!option.isFlag && !option.isRepeatable, "\(name) takes no single value")
        return optionValues[name]?.last ?? option.defaultValue
    }

    /// Every value given for the repeatable option `name`, in order.
    public func strings(_ name: String) -> [String] {
        precondition(declaredOption(name).isRepeatable, "\(name) is not repeatable")
        return optionValues[name] ?? []
    }

    /// The value of the integer option `name` (given or default), or `nil`.
    public func int(_ name: String) -> Int? {
        guard case .integer = declaredOption(name).kind else {
            preconditionFailure("\(name) is not declared as an integer")
        }
        return string(name).flatMap { Int($0) }
    }

    /// The value of the number option `name` (given or default), or `nil`.
    public func double(_ name: String) -> Double? {
        precondition(declaredOption(name).kind == .number, "\(name) is not declared as a number")
        return string(name).flatMap { Double($0) }
    }

    /// The value of the positional argument `name`, or `nil` when an optional one is absent.
    public func positional(_ name: String) -> String? {
        precondition(!declaredArgument(name).isRepeating, "\(name) repeats")
        return argumentValues[name]?.first
    }

    /// Every value of the repeating positional argument `name`, in order.
    public func positionals(_ name: String) -> [String] {
        precondition(declaredArgument(name).isRepeating, "\(name) does not repeat")
        return argumentValues[name] ?? []
    }

    /// The value of option `name` converted by `convert`, or `nil` when absent.
    ///
    /// - Parameters:
    ///   - name: The option's declared name.
    ///   - expected: What a valid value is, for the error: `a part such as 2/8`.
    ///   - convert: Returns the typed value, or `nil` when the text does not convert.
    /// - Throws: ``ArgumentError`` `invalid value 'x' for '--name': expected …`.
    public func value<T>(
        _ name: String, expected: String, _ convert: (String) -> T?
    ) throws(ArgumentError) -> T? {
        guard let text = string(name) else { return nil }
        guard let value = convert(text) else {
            throw error("invalid value '\(text)' for '\(name)': expected \(expected)")
        }
        return value
    }

    /// An error about this command line, carrying the command's usage line; for checks
    /// only a command can make, such as options that exclude each other.
    public func error(_ message: String, help: String? = nil) -> ArgumentError {
        ArgumentError(message: message, help: help).within(command, path: commandPath)
    }

    private func declaredOption(_ name: String) -> Option {
        guard let option = command.allOptions.first(where: { $0.name == name }) else {
            preconditionFailure("\(commandPath.joined(separator: " ")) has no option \(name)")
        }
        return option
    }

    private func declaredArgument(_ name: String) -> Argument {
        guard let argument = command.arguments.first(where: { $0.name == name }) else {
            preconditionFailure("\(commandPath.joined(separator: " ")) has no argument \(name)")
        }
        return argument
    }
}
