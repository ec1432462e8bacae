import Foundation

/// Interleaved-pair rotary embedding with the YaRN stretch (model.md, "Rotary embedding").
///
/// The rotary part of a vector, `d = qk_rope_head_dim` wide, is read as `d/2` complex numbers
/// `(x[2i], x[2i+1])`; position `p` multiplies pair `i` by `exp(j·p·f_i)`.
package struct RotaryEmbedding: Sendable {
    /// Per-pair frequencies `f_i`, after YaRN when it is on.
    package let frequencies: [Float]

    /// The frequencies and nothing else; tables are built per forward pass.
    package init(config: ModelConfig) {
        frequencies = Self.frequencies(for: config)
    }

    /// `f_i = 1 / theta^(2i/d)`, stretched by YaRN when the config turns it on. Computed in
    /// float32 where the reference computes in float32 (the exponents and the blend), with the
    /// correction range in double as the reference does.
    package static func frequencies(for config: ModelConfig) -> [Float] {
        let d = config.qkRopeHeadDim
        let theta = config.ropeTheta
        var f = (0..<(d / 2)).map { i -> Float in
            let exponent = Float(2 * i) / Float(d)
            return 1 / Float(Foundation.pow(theta, Double(exponent)))
        }
        guard config.yarnEnabled else { return f }

        func correction(_ rotations: Double) -> Double {
            Double(d) * Foundation.log(Double(config.originalSeqLen) / (rotations * 2 * Double.pi))
                / (2 * Foundation.log(theta))
        }
        let low = max(Int(Foundation.floor(correction(config.betaFast))), 0)
        let high = min(Int(Foundation.ceil(correction(config.betaSlow))), d - 1)
        let lowValue = Float(low)
        let highValue = Float(high) + (low == high ? 0.001 : 0)
        let factor = Float(config.ropeFactor)
        for i in 0..<f.count {
            let ramp = min(max((Float(i) - lowValue) / (highValue - lowValue), 0), 1)
            let smooth = 1 - ramp
            f[i] = f[i] / factor * (1 - smooth) + f[i] * smooth
        }
        return f
    }

    /// The attention scale `σ = (dn + dr)^-0.5`, times `m²` with
    /// `m = 0.1 · mscale · ln(rope_factor) + 1` when YaRN is on.
    package static func softmaxScale(for config: ModelConfig) -> Float {
        var scale = Foundation.pow(Double(config.qkHeadDim), -0.5)
        if config.yarnEnabled {
            let m = 0.1 * config.mscale * Foundation.log(config.ropeFactor) + 1
            scale *= m * m
        }
        return Float(scale)
    }

    /// `cos(p·f_i)` and `sin(p·f_i)` for positions `0 ..< length`, `length × d/2` each; the
    /// angle is rounded to float32 first, as a float32 outer product would.
    func table(length: Int) -> (cos: [Float], sin: [Float]) {
        let half = frequencies.count
        var cosines = [Float](repeating: 0, count: length * half)
        var sines = [Float](repeating: 0, count: length * half)
        for p in 0..<length {
            for i in 0..<half {
                let angle = Double(Float(p) * frequencies[i])
                cosines[p * half + i] = Float(Foundation.cos(angle))
                sines[p * half + i] = Float(Foundation.sin(angle))
            }
        }
        return (cosines, sines)
    }

    /// Rotates the `d`-wide vector at `x` for the position whose table row starts at `row`.
    @inline(__always)
    static func rotate(
        _ x: UnsafeMutablePointer<Float>, half: Int, cos: UnsafePointer<Float>,
        sin: UnsafePointer<Float>
    ) {
        for i in 0..<half {
            let re = x[2 * i]
            let im = x[2 * i + 1]
            x[2 * i] = re * cos[i] - im * sin[i]
            x[2 * i + 1] = re * sin[i] + im * cos[i]
        }
    }
}
