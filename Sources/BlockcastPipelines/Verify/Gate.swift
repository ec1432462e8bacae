/// A bound on one metric, such as `kl.mean <= 1e-3`, optionally for one path only.
///
/// The text form is `[PATH:]METRIC OP NUMBER` with `OP` one of `<=`, `<`, `>=`, `>`, `==`;
/// spaces around the parts are free. A gate holds when the measured value satisfies the
/// comparison; NaN satisfies none, so a NaN never passes.
public struct Gate: Equatable, Hashable, Sendable {
    /// How the measured value must compare with the bound.
    public enum Comparison: String, CaseIterable, Sendable {
        /// Measured value at most the bound.
        case atMost = "<="
        /// Measured value below the bound.
        case below = "<"
        /// Measured value at least the bound.
        case atLeast = ">="
        /// Measured value above the bound.
        case above = ">"
        /// Measured value exactly the bound (for `routing == 1`).
        case equal = "=="

        /// Whether `value` satisfies the comparison with `bound`.
        public func holds(_ value: Double, _ bound: Double) -> Bool {
            switch self {
            case .atMost: value <= bound
            case .below: value < bound
            case .atLeast: value >= bound
            case .above: value > bound
            case .equal: value == bound
            }
        }
    }

    /// The metric bounded.
    public var metric: Metric
    /// How the measured value must compare with ``bound``.
    public var comparison: Comparison
    /// The bound.
    public var bound: Double
    /// The one path the gate is for, or `nil` for every candidate it is given to.
    public var path: VerifyPath?

    /// Creates a gate.
    public init(
        _ metric: Metric, _ comparison: Comparison, _ bound: Double, path: VerifyPath? = nil
    ) {
        self.metric = metric
        self.comparison = comparison
        self.bound = bound
        self.path = path
    }

    /// Parses `[PATH:]METRIC OP NUMBER`.
    /// - Throws: ``VerifyError`` (`invalidGate`) quoting the text and saying what is wrong.
    public init(parsing text: String) throws(VerifyError) {
        var rest = Substring(text)
        var path: VerifyPath?
        if let colon = rest.firstIndex(of: ":") {
            let name = rest[..<colon].trimmingSpaces
            guard let named = VerifyPath(rawValue: String(name)) else {
                throw VerifyError(
                    .invalidGate,
                    "gate '\(text)': unknown path '\(name)' (known: \(VerifyPath.spelledOut))")
            }
            path = named
            rest = rest[rest.index(after: colon)...]
        }

        // Two-character operators first, so `<=` is not read as `<` followed by `=`.
        let operators: [Comparison] = [.atMost, .atLeast, .equal, .below, .above]
        guard
            let (comparison, range) = operators.lazy.compactMap({ op in
                rest.range(of: op.rawValue).map { (op, $0) }
            }).first
        else {
            throw VerifyError(
                .invalidGate,
                "gate '\(text)': no comparison; expected METRIC OP NUMBER with OP one of "
                    + "<=, <, >=, >, == (for example 'kl.mean <= 1e-3')")
        }

        let name = String(rest[..<range.lowerBound].trimmingSpaces)
        let number = String(rest[range.upperBound...].trimmingSpaces)
        guard let metric = Metric(rawValue: name) else {
            let known = Metric.allCases.map(\.rawValue).joined(separator: ", ")
            let shown = name.isEmpty ? "no metric" : "unknown metric '\(name)'"
            throw VerifyError(.invalidGate, "gate '\(text)': \(shown) (known: \(known))")
        }
        guard let bound = Double(number), !bound.isNaN else {
            throw VerifyError(
                .invalidGate, "gate '\(text)': bound '\(number)' is not a number")
        }
        self.init(metric, comparison, bound, path: path)
    }

    /// The gate as text, `kl.mean <= 0.001`, with the path prefix when it has one.
    public var text: String {
        let body = "\(metric.rawValue) \(comparison.rawValue) \(Self.format(bound))"
        return path.map { "\($0.rawValue):\(body)" } ?? body
    }

    /// The gate without its path prefix, as reports list it under a candidate.
    public var condition: String {
        "\(metric.rawValue) \(comparison.rawValue) \(Self.format(bound))"
    }

    /// Whether the gate holds for `value`.
    public func holds(_ value: Double) -> Bool { comparison.holds(value, bound) }

    /// A bound as written: `0.001`, `1e-05`, `0.98`, `1`.
    package static func format(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var result = self
        while let first = result.first, first.isWhitespace { result.removeFirst() }
        while let last = result.last, last.isWhitespace { result.removeLast() }
        return result
    }
}
