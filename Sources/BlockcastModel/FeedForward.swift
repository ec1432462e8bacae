import BlockcastFormats

/// `MLP(x) = linear(silu(linear(x, W1)) ⊙ linear(x, W3), W2)`: a dense block, one expert, or
/// the fused shared experts (on one rank: W1/W3 hold a slice of rows, W2 the matching
/// columns, and the output is a partial sum).
struct MLP: Sendable {
    let w1: Linear
    let w2: Linear
    let w3: Linear

    /// The MLP of `count` rows of `x` (`count × dim`), `count × dim`.
    func forward(_ x: UnsafePointer<Float>, count: Int) -> [Float] {
        let width = w1.rows
        var gate = [Float](repeating: 0, count: count * width)
        var up = [Float](repeating: 0, count: count * width)
        gate.withUnsafeMutableBufferPointer { w1.apply(x, count: count, into: $0.baseAddress!) }
        up.withUnsafeMutableBufferPointer { w3.apply(x, count: count, into: $0.baseAddress!) }
        Kernels.siluMultiply(&gate, up)
        return w2.apply(gate, count: count)
    }
}

/// One MoE layer on one rank: the full gate, this rank's routed experts, its slice of the
/// shared experts.
struct MixtureOfExperts: Sendable {
    let router: Router
    /// One entry per routed expert; nil for experts another rank holds.
    let experts: [MLP?]
    let shared: MLP?

    /// This rank's partial MoE output (`count × dim`) and the routing it computed.
    func forward(_ x: UnsafePointer<Float>, count: Int, dim: Int) -> (
        output: [Float], experts: [Int], weights: [Float]
    ) {
        let (chosen, weights) = router.route(x, count: count)
        let k = router.config.activatedExpertCount

        // Tokens per expert, in token order, with the weight each gives it.
        var assigned = [[(token: Int, weight: Float)]](repeating: [], count: experts.count)
        for t in 0..<count {
            for j in 0..<k { assigned[chosen[t * k + j]].append((t, weights[t * k + j])) }
        }

        // Each expert runs on its own tokens only (gather, sgemm), batched over them so BLAS
        // does the work; experts run in parallel, and their outputs are added in expert index
        // order afterwards, so the sums do not depend on the thread count.
        var outputs = [[Float]](repeating: [], count: experts.count)
        outputs.withUnsafeMutableBufferPointer { outputs in
            let results = outputs.baseAddress!
            parallelFor(experts.count) { index in
                guard let expert = experts[index], !assigned[index].isEmpty else { return }
                let tokens = assigned[index]
                var gathered = [Float](repeating: 0, count: tokens.count * dim)
                for (row, entry) in tokens.enumerated() {
                    for c in 0..<dim { gathered[row * dim + c] = x[entry.token * dim + c] }
                }
                results[index] = gathered.withUnsafeBufferPointer {
                    expert.forward($0.baseAddress!, count: tokens.count)
                }
            }
        }
        var routed = [Float](repeating: 0, count: count * dim)
        for (index, out) in outputs.enumerated() where !out.isEmpty {
            for (row, entry) in assigned[index].enumerated() {
                for c in 0..<dim {
                    routed[entry.token * dim + c] += out[row * dim + c] * entry.weight
                }
            }
        }

        if let shared {
            Kernels.add(&routed, shared.forward(x, count: count))
        }
        return (routed, chosen, weights)
    }
}
