extension Command {
    /// The usage line for this command at `path`: `usage: blockcast quantize <input>
    /// --output <dir> [<options>]`, wrapped to 80 columns.
    public func usageLine(path: [String]) -> String {
        "usage: " + synopsis(path: path, indent: "usage: ".count)
    }

    /// The help page: OVERVIEW, USAGE, ARGUMENTS, OPTIONS and SUBCOMMANDS (sections without
    /// entries are left out), wrapped to 80 columns, ending with a newline.
    public func helpPage(path: [String]) -> String {
        var sections: [String] = []
        let overview = TextLayout.wrap(
            "OVERVIEW: " + abstract, firstLineWidth: TextLayout.width, indent: 0)
        sections.append(overview.joined(separator: "\n"))
        sections.append(contentsOf: TextLayout.paragraphs(discussion))
        sections.append("USAGE: " + synopsis(path: path, indent: "USAGE: ".count))

        if !arguments.isEmpty {
            let entries = arguments.map { argument in
                TextLayout.entry(
                    label: argument.synopsis, help: Command.annotated(argument.help, argument.kind))
            }
            sections.append((["ARGUMENTS:"] + entries).joined(separator: "\n"))
        }

        let optionEntries = allOptions.map { option in
            let label = option.name == "--help" ? "-h, --help" : option.synopsis
            return TextLayout.entry(label: label, help: Command.annotated(option))
        }
        sections.append((["OPTIONS:"] + optionEntries).joined(separator: "\n"))

        if isGroup {
            let helpEntry = TextLayout.entry(
                label: Command.helpCommandName, help: "Show the help of a command.")
            let entries = subcommands.map { TextLayout.entry(label: $0.name, help: $0.abstract) }
            let pointer =
                "  Run '\((path + [Command.helpCommandName]).joined(separator: " ")) <command>'"
                + " to see a command's options."
            sections.append(
                (["SUBCOMMANDS:"] + entries + [helpEntry]).joined(separator: "\n") + "\n\n"
                    + pointer)
        }
        return sections.joined(separator: "\n\n") + "\n"
    }

    /// The command line shape after the program path: required options and arguments
    /// spelled out, other options summed up as `[<options>]`.
    private func synopsis(path: [String], indent: Int) -> String {
        var words = [path.joined(separator: " ")]
        if isGroup {
            words.append("<command>")
        }
        words += options.filter(\.isRequired).map(\.synopsis)
        words.append("[<options>]")
        words += arguments.map(\.synopsis)

        // Break between words so the line fits, continuing under the first word.
        var lines: [String] = []
        var line = ""
        for word in words {
            if line.isEmpty {
                line = word
            } else if indent + line.count + 1 + word.count <= TextLayout.width {
                line += " " + word
            } else {
                lines.append(line)
                line = String(repeating: " ", count: path.joined(separator: " ").count + 1) + word
            }
        }
        lines.append(line)
        return lines.joined(separator: "\n" + String(repeating: " ", count: indent))
    }

    /// An option's help with what help pages add: its values, default and repeatability.
    private static func annotated(_ option: Option) -> String {
        var notes: [String] = []
        if case .choice(let words) = option.kind {
            notes.append("values: " + words.joined(separator: ", "))
        }
        if let defaultValue = option.defaultValue {
            notes.append("default: \(defaultValue)")
        }
        if option.isRepeatable {
            notes.append("repeatable")
        }
        return notes.isEmpty ? option.help : "\(option.help) (\(notes.joined(separator: "; ")))"
    }

    /// An argument's help with the values a choice allows.
    private static func annotated(_ help: String, _ kind: ValueKind) -> String {
        guard case .choice(let words) = kind else { return help }
        return "\(help) (values: \(words.joined(separator: ", ")))"
    }
}
