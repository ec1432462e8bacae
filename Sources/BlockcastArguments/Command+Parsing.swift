/// What a command line asks for.
public enum ParseOutcome: Sendable {
    /// Run the selected command with these values.
    case run(ParsedArguments)

    /// Print this help page to stdout and exit 0.
    case help(String)

    /// Print this version text to stdout and exit 0.
    case version(String)
}

extension Command {
    /// Parses `arguments` (without the program name) against this command and its
    /// subcommands.
    ///
    /// `--help` or `-h` anywhere before `--` shows the help of the command selected so far;
    /// a command with subcommands and nothing after it shows its help too.
    ///
    /// - Throws: ``ArgumentError`` naming the first bad argument, with the usage line of the
    ///   command it belongs to.
    public func parse(_ arguments: [String]) throws(ArgumentError) -> ParseOutcome {
        var command = self
        var path = [name]
        var rest = arguments[...]

        // Walk down the subcommands; before a subcommand only built-in options may appear.
        while command.isGroup {
            guard let token = rest.popFirst() else { return .help(command.helpPage(path: path)) }
            if token == "--help" || token == "-h" { return .help(command.helpPage(path: path)) }
            if token == "--version", let version = command.version { return .version(version) }
            if token.hasPrefix("-") {
                throw command.unknownOption(token).within(command, path: path)
            }
            if token == Command.helpCommandName {
                return try command.helpOutcome(for: rest, path: path)
            }
            guard let next = command.subcommand(named: token) else {
                throw command.unknownSubcommand(token).within(command, path: path)
            }
            command = next
            path.append(token)
        }

        let options = rest.prefix { $0 != "--" }
        if options.contains("--help") || options.contains("-h") {
            return .help(command.helpPage(path: path))
        }
        if let version = command.version, options.contains("--version") {
            return .version(version)
        }
        do {
            return .run(try command.parseLeaf(Array(rest), path: path))
        } catch {
            throw error.within(command, path: path)
        }
    }

    /// `help [<command> ...]`: the help page of the named command.
    private func helpOutcome(
        for names: ArraySlice<String>, path: [String]
    ) throws(ArgumentError) -> ParseOutcome {
        var command = self
        var path = path
        // `help --help` and `help quantize -h` ask for the same page as without the flag.
        for name in names where name != "--help" && name != "-h" {
            guard let next = command.subcommand(named: name) else {
                if !command.isGroup {
                    throw ArgumentError(message: "unexpected argument '\(name)'")
                        .within(command, path: path)
                }
                throw command.unknownSubcommand(name).within(command, path: path)
            }
            command = next
            path.append(name)
        }
        return .help(command.helpPage(path: path))
    }

    /// Parses options and positional arguments of a command without subcommands.
    private func parseLeaf(
        _ tokens: [String], path: [String]
    ) throws(ArgumentError) -> ParsedArguments {
        var optionValues: [String: [String]] = [:]
        var positionals: [String] = []
        var index = 0
        var optionsEnded = false

        while index < tokens.count {
            let token = tokens[index]
            index += 1
            if optionsEnded || !Command.looksLikeOption(token) {
                positionals.append(token)
                continue
            }
            if token == "--" {
                optionsEnded = true
                continue
            }

            // `--name=value` or `--name value`.
            let parts = token.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            let inlineValue = parts.count == 2 ? String(parts[1]) : nil
            guard let option = allOptions.first(where: { $0.name == name }) else {
                throw unknownOption(name)
            }
            if optionValues[name] != nil && !option.isRepeatable {
                throw ArgumentError(message: "option '\(name)' given more than once")
            }
            if option.isFlag {
                if inlineValue != nil {
                    throw ArgumentError(message: "option '\(name)' takes no value")
                }
                optionValues[name] = [""]
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else if index < tokens.count && !Command.looksLikeOption(tokens[index]) {
                value = tokens[index]
                index += 1
            } else {
                throw ArgumentError(message: "missing value for '\(option.synopsis)'")
            }
            if let problem = option.kind.validate(value, for: name) { throw problem }
            optionValues[name, default: []].append(value)
        }

        let argumentValues = try assign(positionals)
        if let missing = options.first(where: { $0.isRequired && optionValues[$0.name] == nil }) {
            throw ArgumentError(message: "missing required option '\(missing.synopsis)'")
        }
        return ParsedArguments(
            command: self, commandPath: path, optionValues: optionValues,
            argumentValues: argumentValues)
    }

    /// Hands positional values to the declared arguments in order.
    private func assign(_ values: [String]) throws(ArgumentError) -> [String: [String]] {
        var assigned: [String: [String]] = [:]
        var remaining = values[...]
        for argument in arguments {
            let taken = argument.isRepeating ? Array(remaining) : Array(remaining.prefix(1))
            remaining = remaining.dropFirst(taken.count)
            if taken.isEmpty {
                if argument.isOptional { continue }
                throw ArgumentError(message: "missing required argument '<\(argument.name)>'")
            }
            for value in taken {
                if let problem = argument.kind.validate(value, for: "<\(argument.name)>") {
                    throw problem
                }
            }
            assigned[argument.name] = taken
        }
        if let extra = remaining.first {
            throw ArgumentError(message: "unexpected argument '\(extra)'")
        }
        return assigned
    }

    /// Whether `token` is meant as an option rather than a value: it starts with a dash
    /// and is neither a lone `-` (standard input, by convention) nor a negative number.
    private static func looksLikeOption(_ token: String) -> Bool {
        token.hasPrefix("-") && token != "-" && Double(token) == nil
    }

    private func unknownOption(_ token: String) -> ArgumentError {
        let name = String(token.prefix { $0 != "=" })

        // A built-in flag given a value before a subcommand (`--help=all`).
        if allOptions.contains(where: { $0.name == name }) {
            return ArgumentError(message: "option '\(name)' takes no value")
        }
        let candidates = allOptions.map(\.name)
        let suggestion = Suggestion.nearest(to: name, among: candidates)
        return ArgumentError(
            message: "unknown option '\(name)'",
            help: suggestion.map { "did you mean '\($0)'?" })
    }

    private func unknownSubcommand(_ token: String) -> ArgumentError {
        let suggestion = Suggestion.nearest(to: token, among: subcommandNames)
        return ArgumentError(
            message: "unknown command '\(token)'",
            help: suggestion.map { "did you mean '\($0)'?" })
    }
}
