/// A glob pattern over tensor names, as `--include` and `--exclude` take them.
///
/// The pattern must match the whole name. Syntax:
/// - `*` matches any run of characters, dots included (`*.experts.*` matches every routed
///   expert tensor of every layer);
/// - `?` matches exactly one character;
/// - `[abc]`, `[0-9]` match one character of the set or range, `[!abc]` one outside it;
/// - `\` makes the next character literal (`\*`, `\[`).
///
/// Everything else matches itself, so a plain name is an exact match.
package struct NamePattern: Sendable, Hashable, CustomStringConvertible {
    private enum Element: Sendable, Hashable {
        case literal(Character)
        case any
        case anyRun
        case set(ranges: [ClosedRange<Character>], negated: Bool)
    }

    /// The pattern as the user wrote it.
    package let text: String
    private let elements: [Element]

    /// Parses `text`; an unclosed `[` or a trailing `\` is an error naming the pattern.
    package init(_ text: String) throws(QuantizeError) {
        self.text = text
        var elements: [Element] = []
        var characters = Array(text)[...]
        while let character = characters.popFirst() {
            switch character {
            case "*":
                // Consecutive stars mean the same as one.
                if elements.last != .anyRun { elements.append(.anyRun) }
            case "?":
                elements.append(.any)
            case "\\":
                guard let escaped = characters.popFirst() else {
                    throw .badPattern(text, reason: "it ends with a lone '\\'")
                }
                elements.append(.literal(escaped))
            case "[":
                elements.append(try Self.parseSet(&characters, pattern: text))
            default:
                elements.append(.literal(character))
            }
        }
        self.elements = elements
    }

    /// The pattern as written.
    package var description: String { text }

    /// Whether the pattern matches all of `name`.
    package func matches(_ name: String) -> Bool {
        let characters = Array(name)

        // Iterative wildcard matching with one backtrack point per star (linear in practice).
        var p = 0
        var c = 0
        var starP = -1
        var starC = 0
        while c < characters.count {
            if p < elements.count, elements[p] != .anyRun,
                Self.matchesOne(elements[p], characters[c])
            {
                p += 1
                c += 1
            } else if p < elements.count, elements[p] == .anyRun {
                starP = p
                starC = c
                p += 1
            } else if starP >= 0 {
                starC += 1
                c = starC
                p = starP + 1
            } else {
                return false
            }
        }
        while p < elements.count, elements[p] == .anyRun { p += 1 }
        return p == elements.count
    }

    private static func matchesOne(_ element: Element, _ character: Character) -> Bool {
        switch element {
        case .literal(let expected): return character == expected
        case .any: return true
        case .anyRun: return true
        case .set(let ranges, let negated):
            return ranges.contains { $0.contains(character) } != negated
        }
    }

    private static func parseSet(
        _ characters: inout ArraySlice<Character>, pattern: String
    ) throws(QuantizeError) -> Element {
        var negated = false
        if characters.first == "!" || characters.first == "^" {
            negated = true
            characters.removeFirst()
        }
        var ranges: [ClosedRange<Character>] = []
        var first = true
        while let character = characters.popFirst() {
            // A `]` right after the opening bracket is a member, as in shell globs.
            if character == "]" && !first {
                guard !ranges.isEmpty else {
                    throw .badPattern(pattern, reason: "it has an empty '[]'")
                }
                return .set(ranges: ranges, negated: negated)
            }
            first = false
            var low = character
            if low == "\\" {
                guard let escaped = characters.popFirst() else { break }
                low = escaped
            }
            if characters.count >= 2, characters.first == "-",
                characters[characters.startIndex + 1] != "]"
            {
                characters.removeFirst()
                let high = characters.removeFirst()
                guard low <= high else {
                    throw .badPattern(pattern, reason: "the range '\(low)-\(high)' is reversed")
                }
                ranges.append(low...high)
            } else {
                ranges.append(low...low)
            }
        }
        throw .badPattern(pattern, reason: "a '[' is never closed")
    }
}
