/// What an option's or argument's value must look like; checked while parsing, so a bad
/// value is refused before any work starts.
public enum ValueKind: Sendable, Equatable {
    /// Any text, such as a path or a pattern.
    case text

    /// A whole number in the range, such as `--threads 8` with `1...Int.max`.
    case integer(ClosedRange<Int>)

    /// A finite decimal number, such as `--tolerance 1e-3`.
    case number

    /// One of the listed words, such as `--format safetensors`.
    case choice([String])

    /// A whole number of at least 1.
    public static let positiveInteger = ValueKind.integer(1...Int.max)

    /// A whole number of at least 0.
    public static let nonNegativeInteger = ValueKind.integer(0...Int.max)

    /// What a value must be, for error messages: `a positive integer`.
    public var expectation: String {
        switch self {
        case .text:
            return "text"
        case .integer(let range):
            switch (range.lowerBound, range.upperBound) {
            case (1, Int.max): return "a positive integer"
            case (0, Int.max): return "a non-negative integer"
            case (Int.min, Int.max): return "an integer"
            case (let low, Int.max): return "an integer of at least \(low)"
            case (let low, let high): return "an integer from \(low) to \(high)"
            }
        case .number:
            return "a finite number"
        case .choice(let words):
            return "one of " + words.map { "'\($0)'" }.joined(separator: ", ")
        }
    }

    /// Checks `value`, returning the error for `name` when it does not fit.
    func validate(_ value: String, for name: String) -> ArgumentError? {
        let fits: Bool
        var help: String?
        switch self {
        case .text:
            fits = true
        case .integer(let range):
            fits = Int(value).map(range.contains) ?? false
        case .number:
            fits = Double(value).map(\.isFinite) ?? false
        case .choice(let words):
            fits = words.contains(value)
            help = Suggestion.nearest(to: value, among: words).map { "did you mean '\($0)'?" }
        }
        if fits { return nil }
        return ArgumentError(
            message: "invalid value '\(value)' for '\(name)': expected \(expectation)",
            help: help)
    }
}
