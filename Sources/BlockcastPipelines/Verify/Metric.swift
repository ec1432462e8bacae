/// A number `verify` measures for each candidate, by the name gates and reports use.
///
/// Every metric is taken over every position of every sequence. The exact definitions are in
/// formats/report.md; the summaries below are the short form.
public enum Metric: String, CaseIterable, Sendable, Codable, CodingKeyRepresentable {
    /// Largest `|y - ŷ|` over all logits.
    case logitsMaxAbs = "logits.max_abs"
    /// `‖y - ŷ‖ / ‖y‖` over all logits of all positions together.
    case logitsRelRMS = "logits.rel_rms"
    /// Smallest cosine similarity between the two logit rows of one position.
    case cosineMin = "cosine.min"
    /// Mean over positions of the cosine similarity of the two logit rows.
    case cosineMean = "cosine.mean"
    /// Mean over positions of KL(P_ref ‖ P_cand), in nats.
    case klMean = "kl.mean"
    /// 99th percentile (nearest rank) over positions of KL(P_ref ‖ P_cand).
    case klP99 = "kl.p99"
    /// Largest KL(P_ref ‖ P_cand) of any position.
    case klMax = "kl.max"
    /// Share of positions where both models put the same token first.
    case top1
    /// Mean over positions of |top5_ref ∩ top5_cand| / 5.
    case top5
    /// Perplexity of the reference's greedy continuation under the reference.
    case pplReference = "ppl.reference"
    /// Perplexity of the reference's greedy continuation under the candidate.
    case pplCandidate = "ppl.candidate"
    /// `ppl.candidate / ppl.reference`.
    case pplRatio = "ppl.ratio"
    /// Share of (token, MoE layer, chosen expert) choices the candidate shares with the
    /// reference.
    case routing
    /// The routing agreement of the MoE layer where it is lowest.
    case routingMinLayer = "routing.min_layer"
    /// Largest relative RMS error of the hidden state after a block, over all blocks.
    case driftMax = "drift.max"
    /// Largest change, over MoE layers and experts, of the share of tokens routed to one
    /// expert (candidate minus reference, absolute, as a fraction of the tokens).
    case loadMaxShift = "load.max_shift"

    /// Whether larger values are better (`top1`) rather than smaller (`kl.mean`); reports
    /// use it to say which way a failed gate missed.
    public var higherIsBetter: Bool {
        switch self {
        case .cosineMin, .cosineMean, .top1, .top5, .routing, .routingMinLayer: true
        default: false
        }
    }

    /// Whether the metric needs the reference's routing choices and hidden states, which a
    /// reference read from a logits file does not have.
    public var needsReferenceTrace: Bool {
        switch self {
        case .routing, .routingMinLayer, .driftMax, .loadMaxShift: true
        default: false
        }
    }

    /// The metrics the human table shows, in its column order.
    public static let tableColumns: [Metric] = [
        .logitsRelRMS, .cosineMin, .klMean, .klP99, .top1, .top5, .pplRatio, .routing,
        .driftMax,
    ]
}
