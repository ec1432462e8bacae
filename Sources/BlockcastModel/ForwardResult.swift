/// What a forward pass computed for a batch of sequences.
public struct ForwardResult: Sendable {
    /// Logits of every position: `logits[sequence][position · vocab + token]`.
    public var logits: [[Float]]
    /// The hidden state after each block: `hiddenStates[block][sequence][position · dim + i]`;
    /// empty when the pass was asked not to keep them.
    public var hiddenStates: [[[Float]]]
    /// The routing of every MoE block, in block order.
    public var routing: [LayerRouting]
    /// The vocabulary size (the row width of ``logits``).
    public var vocabularySize: Int
    /// The model width (the row width of ``hiddenStates``).
    public var dim: Int

    /// The logits of one position, `vocab` wide.
    public func logits(sequence: Int, position: Int) -> ArraySlice<Float> {
        logits[sequence][(position * vocabularySize)..<((position + 1) * vocabularySize)]
    }
}

/// The experts one MoE block chose for every token, with their routing weights.
public struct LayerRouting: Sendable, Equatable {
    /// The block index (`n_dense_layers` or above).
    public var layer: Int
    /// Experts chosen per token: `experts[sequence][position]`, `n_activated_experts`
    /// indices in choice order (best first).
    public var experts: [[[Int]]]
    /// The matching routing weights (after normalisation and `route_scale`).
    public var weights: [[[Float]]]

    /// Tokens routed to each expert in this block, summed over every sequence and position.
    public func expertLoad(expertCount: Int) -> [Int] {
        var load = [Int](repeating: 0, count: expertCount)
        for sequence in experts {
            for choice in sequence {
                for e in choice { load[e] += 1 }
            }
        }
        return load
    }
}
