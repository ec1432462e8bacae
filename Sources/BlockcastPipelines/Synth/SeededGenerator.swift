/// A xoshiro256** pseudo-random generator, seeded through splitmix64.
///
/// Synthetic weights must be the same bytes on every machine, build and thread count, so the
/// generator is written here rather than taken from the standard library (whose
/// `SystemRandomNumberGenerator` is not seedable and whose algorithms may change). Every sample
/// below is made from integer and basic float arithmetic only, never from libm, so the values
/// do not depend on the C library either.
package struct SeededGenerator: RandomNumberGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose whole sequence follows from `seed`.
    package init(seed: UInt64) {
        var mixer = seed
        state = (
            Self.splitMix(&mixer), Self.splitMix(&mixer), Self.splitMix(&mixer),
            Self.splitMix(&mixer)
        )
    }

    /// A generator for one independent stream: the seed, a name and a chunk index are mixed so
    /// that streams of different tensors and chunks do not overlap in practice.
    package init(seed: UInt64, name: String, chunk: Int = 0) {
        var mixer = seed ^ 0x9E37_79B9_7F4A_7C15
        let base = Self.splitMix(&mixer)
        var key = base ^ Self.hash(name)
        let named = Self.splitMix(&key)
        var chunkKey = named &+ UInt64(truncatingIfNeeded: chunk) &* 0xD1B5_4A32_D192_ED03
        self.init(seed: Self.splitMix(&chunkKey))
    }

    /// The next 64 random bits.
    package mutating func next() -> UInt64 {
        let result = Self.rotate(state.1 &* 5, 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = Self.rotate(state.3, 45)
        return result
    }

    /// A uniform float in `[0, 1)` with 24 random bits.
    @inline(__always)
    package mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// An approximately standard normal value: the sum of four uniforms, centred and scaled to
    /// unit variance (Irwin–Hall). Bounded by ±2√3, which is fine: heavy tails come from
    /// ``nextHeavyTailed()``.
    @inline(__always)
    package mutating func nextNormalish() -> Float {
        let bits = next()
        let a = Float(bits & 0xFFFF)
        let b = Float((bits >> 16) & 0xFFFF)
        let c = Float((bits >> 32) & 0xFFFF)
        let d = Float(bits >> 48)
        return ((a + b + c + d) * 0x1p-16 - 2) * 1.732_050_8
    }

    /// A heavy-tailed value of unit variance: a normal-like value times a scale drawn from a
    /// three-point mixture (1 with probability 0.9, 2.5 with 0.09, 6 with 0.01), which gives the
    /// excess kurtosis trained weights show.
    @inline(__always)
    package mutating func nextHeavyTailed() -> Float {
        let pick = next() >> 54  // 0 ..< 1024
        let scale: Float = pick < 922 ? 1 : (pick < 1014 ? 2.5 : 6)
        return nextNormalish() * scale * Self.mixtureNormalization
    }

    /// An integer in `0 ..< bound` (bound > 0), by multiply-shift on 32 random bits.
    package mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        return Int((next() >> 32) &* UInt64(bound) >> 32)
    }

    /// 1 / standard deviation of the mixture in ``nextHeavyTailed()``, from the probabilities
    /// 922/1024, 92/1024, 10/1024 of the scales 1, 2.5, 6.
    private static let mixtureNormalization: Float = {
        let variance = (922.0 * 1 + 92.0 * 6.25 + 10.0 * 36) / 1024
        return Float(1 / variance.squareRoot())
    }()

    @inline(__always)
    private static func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }

    private static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// FNV-1a over the UTF-8 bytes: stable across runs, unlike `Hasher`.
    private static func hash(_ name: String) -> UInt64 {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in name.utf8 {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01B3
        }
        return value
    }
}
