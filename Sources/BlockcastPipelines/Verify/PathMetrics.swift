import Foundation

/// Everything `verify` measured for one candidate against its reference.
///
/// ``values`` holds the gateable numbers by metric; a metric this run could not measure (no
/// MoE layer, a reference read from a logits file) is absent rather than zero. The other
/// fields are the detail reports draw: where error entered, how KL is spread, how the
/// experts' load moved.
public struct PathMetrics: Codable, Equatable, Sendable {
    /// Positions compared (every position of every sequence).
    public var positions: Int
    /// Positions that entered the greedy perplexity (all but the last of each sequence).
    public var scoredPositions: Int
    /// Logits that were infinite or NaN in either model.
    public var nonFiniteLogits: Int
    /// The measured metrics.
    public var values: [Metric: Double]
    /// KL(P_ref ‖ P_cand) over positions, in log-spaced bins.
    public var klHistogram: Histogram
    /// Relative RMS error of the hidden state after each block, in block order; empty when
    /// the hidden states were not available.
    public var drift: [Double]
    /// Routing agreement of each MoE layer.
    public var routingByLayer: [RoutingAgreement]
    /// Tokens routed to each expert of each MoE layer, in both models.
    public var expertLoad: [ExpertLoad]

    /// Creates the record; ``PathComparison`` is what fills it.
    public init(
        positions: Int, scoredPositions: Int, nonFiniteLogits: Int, values: [Metric: Double],
        klHistogram: Histogram, drift: [Double], routingByLayer: [RoutingAgreement],
        expertLoad: [ExpertLoad]
    ) {
        self.positions = positions
        self.scoredPositions = scoredPositions
        self.nonFiniteLogits = nonFiniteLogits
        self.values = values
        self.klHistogram = klHistogram
        self.drift = drift
        self.routingByLayer = routingByLayer
        self.expertLoad = expertLoad
    }

    /// The value of `metric`, or `nil` when it was not measured.
    public subscript(metric: Metric) -> Double? { values[metric] }

    private enum CodingKeys: String, CodingKey {
        case positions
        case scoredPositions = "scored_positions"
        case nonFiniteLogits = "non_finite_logits"
        case values
        case klHistogram = "kl_histogram"
        case drift
        case routingByLayer = "routing_by_layer"
        case expertLoad = "expert_load"
    }
}

/// The routing agreement of one MoE layer.
public struct RoutingAgreement: Codable, Equatable, Sendable {
    /// The block index of the layer.
    public var layer: Int
    /// Share of the layer's (token, chosen expert) pairs the candidate shares.
    public var agreement: Double

    /// Creates the record.
    public init(layer: Int, agreement: Double) {
        self.layer = layer
        self.agreement = agreement
    }
}

/// How many tokens each expert of one MoE layer received, in the reference and the candidate.
public struct ExpertLoad: Codable, Equatable, Sendable {
    /// The block index of the layer.
    public var layer: Int
    /// Tokens routed to each expert by the reference, indexed by expert.
    public var reference: [Int]
    /// Tokens routed to each expert by the candidate, indexed by expert.
    public var candidate: [Int]

    /// Creates the record.
    public init(layer: Int, reference: [Int], candidate: [Int]) {
        self.layer = layer
        self.reference = reference
        self.candidate = candidate
    }
}

/// Counts of values in log-spaced bins: `counts[0]` holds values below `edges[0]` (zero
/// included), `counts[i]` those in `[edges[i-1], edges[i])`, the last those at or above the
/// last edge; NaN is counted apart.
public struct Histogram: Codable, Equatable, Sendable {
    /// Bin edges, ascending.
    public var edges: [Double]
    /// `edges.count + 1` counts.
    public var counts: [Int]
    /// Values that were NaN.
    public var nanCount: Int

    /// An empty histogram with edges `10^(lowExponent + i / perDecade)` up to `10^highExponent`.
    public init(lowExponent: Int, highExponent: Int, perDecade: Int) {
        precondition(highExponent > lowExponent && perDecade > 0)
        let steps = (highExponent - lowExponent) * perDecade
        edges = (0...steps).map { step in
            // Whole decades are parsed, not computed, so that they print as 1e-06 exactly.
            if step % perDecade == 0 { return Double("1e\(lowExponent + step / perDecade)")! }
            return Foundation.pow(10, Double(lowExponent) + Double(step) / Double(perDecade))
        }
        counts = Array(repeating: 0, count: edges.count + 1)
        nanCount = 0
    }

    /// Counts `value` in its bin.
    public mutating func add(_ value: Double) {
        guard !value.isNaN else {
            nanCount += 1
            return
        }

        // The first edge above the value is the bin's upper edge.
        var low = 0
        var high = edges.count
        while low < high {
            let middle = (low + high) / 2
            if edges[middle] <= value { low = middle + 1 } else { high = middle }
        }
        counts[low] += 1
    }

    /// Every value counted, NaN included.
    public var total: Int { counts.reduce(0, +) + nanCount }

    private enum CodingKeys: String, CodingKey {
        case edges, counts
        case nanCount = "nan_count"
    }
}
