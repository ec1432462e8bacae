/// What one forward pass over one sequence produced, in the form the comparison reads.
///
/// A reference read from a logits file has only ``logits``; one computed by the model also
/// has the hidden state after each block and the experts each MoE layer chose.
public struct SequenceTrace: Sendable, Equatable {
    /// Positions in the sequence.
    public var positions: Int
    /// Logits of every position, `[positions, vocab]`, row-major.
    public var logits: [Float]
    /// The hidden state after each block, in block order, each `[positions, dim]`; empty when
    /// not recorded.
    public var blockStates: [[Float]]
    /// The experts chosen in each MoE layer, in layer order, each `[positions, k]` expert
    /// indices; empty when not recorded.
    public var routing: [[Int]]

    /// Creates a trace; `logits.count` must be a multiple of `positions`.
    public init(
        positions: Int, logits: [Float], blockStates: [[Float]] = [], routing: [[Int]] = []
    ) {
        precondition(positions > 0 && logits.count % positions == 0, "logits must be [T, V]")
        self.positions = positions
        self.logits = logits
        self.blockStates = blockStates
        self.routing = routing
    }

    /// Whether the trace carries block states and routing, not only logits.
    public var isComplete: Bool { !blockStates.isEmpty }
}
