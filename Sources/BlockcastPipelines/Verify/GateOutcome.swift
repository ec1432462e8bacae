/// What one gate found for one candidate.
public struct GateOutcome: Equatable, Sendable {
    /// Whether the gate held.
    public enum Status: String, Sendable, Codable {
        /// The measured value satisfies the bound.
        case passed
        /// The measured value does not satisfy the bound (NaN never does).
        case failed
        /// The metric was not measured in this run (see ``Metric/needsReferenceTrace``).
        case skipped
    }

    /// The gate.
    public var gate: Gate
    /// The measured value, `nil` when the metric was not measured.
    public var measured: Double?
    /// Whether the gate held.
    public var status: Status

    /// Evaluates `gate` against `metrics`.
    public init(gate: Gate, metrics: PathMetrics) {
        self.gate = gate
        measured = metrics[gate.metric]
        if let measured {
            status = gate.holds(measured) ? .passed : .failed
        } else {
            status = .skipped
        }
    }

    /// Creates a record directly (reports read back from JSON).
    public init(gate: Gate, measured: Double?, status: Status) {
        self.gate = gate
        self.measured = measured
        self.status = status
    }

    /// One sentence for a failure or skip: `kl.mean = 0.0021, bound <= 0.001`.
    public var explanation: String {
        switch status {
        case .passed, .failed:
            let value = measured.map(ReportFormat.number) ?? "nan"
            let verdict = status == .passed ? "holds" : "fails"
            return "\(gate.metric.rawValue) = \(value) \(verdict) \(gate.condition)"
        case .skipped:
            return "\(gate.metric.rawValue) was not measured in this run"
        }
    }
}
