import BlockcastFormats
import Foundation

/// The MoE gate: scores, optional correction bias, group limit and top-k (model.md, "Gate").
package struct Router: Sendable {
    /// `W_gate`, `[E, dim]`, always a plain float32 product.
    let weight: Linear
    /// `e_score_correction_bias`, `[E]`, when the layer has one.
    let bias: [Float]?
    let config: ModelConfig

    /// The experts each of `count` tokens chooses and their weights, `count × k` each, in
    /// choice order (highest biased score first).
    func route(_ x: UnsafePointer<Float>, count: Int) -> (experts: [Int], weights: [Float]) {
        let e = config.routedExpertCount
        let k = config.activatedExpertCount
        var raw = [Float](repeating: 0, count: count * e)
        raw.withUnsafeMutableBufferPointer { weight.apply(x, count: count, into: $0.baseAddress!) }

        var experts = [Int](repeating: 0, count: count * k)
        var weights = [Float](repeating: 0, count: count * k)
        experts.withUnsafeMutableBufferPointer { expertsOut in
            weights.withUnsafeMutableBufferPointer { weightsOut in
                raw.withUnsafeBufferPointer { raw in
                    let expertsOut = expertsOut.baseAddress!
                    let weightsOut = weightsOut.baseAddress!
                    parallelFor(count) { t in
                        let row = UnsafeBufferPointer(rebasing: raw[(t * e)..<((t + 1) * e)])
                        let choice = Self.choose(raw: row, bias: bias, config: config)
                        for j in 0..<k {
                            expertsOut[t * k + j] = choice.experts[j]
                            weightsOut[t * k + j] = choice.weights[j]
                        }
                    }
                }
            }
        }
        return (experts, weights)
    }

    /// One token's choice from its raw gate logits: scores (softmax or sigmoid), plus the bias,
    /// group limit on the biased scores, top-k with ties to the lower index, weights from the
    /// unbiased scores (normalised for sigmoid) times `route_scale`.
    package static func choose(
        raw: UnsafeBufferPointer<Float>, bias: [Float]?, config: ModelConfig
    ) -> (experts: [Int], weights: [Float]) {
        let e = raw.count
        let k = config.activatedExpertCount
        var scores = [Float](repeating: 0, count: e)
        switch config.scoreFunction {
        case .softmax:
            var largest = -Float.infinity
            for i in 0..<e { largest = max(largest, raw[i]) }
            var sum: Float = 0
            for i in 0..<e {
                scores[i] = Foundation.exp(raw[i] - largest)
                sum += scores[i]
            }
            for i in 0..<e { scores[i] /= sum }
        case .sigmoid:
            for i in 0..<e { scores[i] = 1 / (1 + Foundation.exp(-raw[i])) }
        }

        var biased = scores
        if let bias {
            for i in 0..<e { biased[i] += bias[i] }
        }

        let groups = config.expertGroupCount
        if groups > 1 {
            let size = e / groups
            let groupScores = (0..<groups).map { g -> Float in
                let members = Array(biased[(g * size)..<((g + 1) * size)])
                if bias == nil { return members.max() ?? -.infinity }
                let top = topIndices(members, count: 2)
                return members[top[0]] + members[top[1]]
            }
            let kept = Set(topIndices(groupScores, count: config.limitedGroupCount))
            for g in 0..<groups where !kept.contains(g) {
                for i in (g * size)..<((g + 1) * size) { biased[i] = -.infinity }
            }
        }

        let chosen = topIndices(biased, count: k)
        var weights = chosen.map { scores[$0] }
        if config.scoreFunction == .sigmoid {
            var sum: Float = 0
            for w in weights { sum += w }
            weights = weights.map { $0 / sum }
        }
        let scale = Float(config.routeScale)
        return (chosen, weights.map { $0 * scale })
    }

    /// The indices of the `count` largest values, largest first; equal values go to the lower
    /// index first.
    package static func topIndices(_ values: [Float], count: Int) -> [Int] {
        var taken = [Bool](repeating: false, count: values.count)
        var result: [Int] = []
        result.reserveCapacity(count)
        for _ in 0..<min(count, values.count) {
            var best = -1
            for i in 0..<values.count where !taken[i] {
                if best < 0 || values[i] > values[best] { best = i }
            }
            taken[best] = true
            result.append(best)
        }
        return result
    }
}
