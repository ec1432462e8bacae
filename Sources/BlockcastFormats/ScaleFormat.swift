/// How block scales are chosen.
public enum ScaleFormat: String, Sendable, CaseIterable {
    /// `scale_inv = amax / 448` as a float32 (DeepSeek's FP8 release).
    case float32 = "fp32"
    /// `scale_inv` rounded up to a power of two (microscaling hardware needs it); still a
    /// float32 unless it is stored as one-byte ``E8M0``.
    case ue8m0

    /// The scale for a block whose largest magnitude is `amax`.
    ///
    /// `amax` is floored at 1e-4 so that an all-zero block never divides by zero. The ue8m0
    /// ceiling is taken on the bits (exponent field of `amax / 448`, plus one when any mantissa
    /// bit is set, clamped to 1…254), never with `log2`. A NaN `amax` gives a NaN float32
    /// scale, as PyTorch would; with ue8m0 a NaN or infinite `amax` gives 2^127 (the clamp),
    /// which no finite weight reaches.
    @inline(__always)
    public func scale(forAmax amax: Float) -> Float {
        let scale = Swift.max(amax, 1e-4) / Float8E4M3FN.maxFinite
        switch self {
        case .float32:
            return scale
        case .ue8m0:
            return Self.powerOfTwoCeiling(scale)
        }
    }

    /// The ue8m0 rule on the bits of a positive `scale`.
    /// `package` so the tests can reach its exponent clamp, which the 1e-4 amax floor hides.
    @inline(__always)
    package static func powerOfTwoCeiling(_ scale: Float) -> Float {
        let bits = scale.bitPattern
        let exponent = (bits >> 23) & 0xFF
        let roundUp: UInt32 = bits & 0x7F_FFFF != 0 ? 1 : 0
        let clamped = Swift.min(Swift.max(exponent + roundUp, 1), 254)
        return Float(bitPattern: clamped << 23)
    }
}
