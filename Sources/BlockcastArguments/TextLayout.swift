/// Word wrapping and two-column layout for help pages.
enum TextLayout {
    /// The width help pages wrap to.
    static let width = 80

    /// Where the help text of an entry starts; a longer label puts it on the next line.
    static let helpColumn = 26

    /// How far entries are indented under a section title.
    static let entryIndent = 2

    /// `text` wrapped at word boundaries so no line passes ``width``; each line after the
    /// first is prefixed with `indent` spaces. A word longer than a line stays whole.
    static func wrap(_ text: String, firstLineWidth: Int, indent: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        var limit = firstLineWidth
        for word in text.split(whereSeparator: \.isWhitespace) {
            if line.isEmpty {
                line = String(word)
            } else if line.count + 1 + word.count <= limit {
                line += " " + word
            } else {
                lines.append(line)
                line = String(repeating: " ", count: indent) + word
                limit = width
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    /// Paragraphs (separated by blank lines in `text`) wrapped to ``width``.
    static func paragraphs(_ text: String) -> [String] {
        text.split(separator: "\n\n", omittingEmptySubsequences: true)
            .map { wrap(String($0), firstLineWidth: width, indent: 0).joined(separator: "\n") }
    }

    /// One entry of a section: the label at ``entryIndent`` and the help from
    /// ``helpColumn``, wrapped.
    static func entry(label: String, help: String) -> String {
        let lead = String(repeating: " ", count: entryIndent) + label
        if help.isEmpty { return lead }
        let helpWidth = width - helpColumn
        let helpLines = wrap(help, firstLineWidth: helpWidth, indent: helpColumn)
        if lead.count + 2 <= helpColumn {
            let padding = String(repeating: " ", count: helpColumn - lead.count)
            return ([lead + padding + helpLines[0]] + helpLines.dropFirst())
                .joined(separator: "\n")
        }
        let first = String(repeating: " ", count: helpColumn) + helpLines[0]
        return ([lead, first] + helpLines.dropFirst()).joined(separator: "\n")
    }
}
