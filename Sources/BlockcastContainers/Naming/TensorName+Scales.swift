extension TensorName {
    /// The name of the block-scale tensor that belongs to weight `name` in `style`
    /// (`x.weight` → `x.weight_scale_inv` or `x.scale`), or nil when `name` is not a
    /// `.weight`.
    public static func scaleName(forWeight name: String, style: NamingStyle) -> String? {
        guard name.hasSuffix(".weight") else { return nil }
        let stem = name.dropLast("weight".count)
        return stem + (style == .huggingFace ? "weight_scale_inv" : "scale")
    }

    /// The weight that scale tensor `name` belongs to (`x.weight_scale_inv` or `x.scale` →
    /// `x.weight`), or nil when `name` is not a scale in either spelling.
    public static func weightName(forScale name: String) -> String? {
        for suffix in [".weight_scale_inv", ".scale"] where name.hasSuffix(suffix) {
            return name.dropLast(suffix.count) + ".weight"
        }
        return nil
    }

    /// The spelling whose scale suffix `name` carries, or nil when it is not a scale.
    public static func scaleStyle(of name: String) -> NamingStyle? {
        if name.hasSuffix(".weight_scale_inv") { return .huggingFace }
        if name.hasSuffix(".scale") { return .inference }
        return nil
    }

    /// This tensor's weight when it is a scale (`nil` otherwise), as a ``TensorName``.
    public var scaledWeight: TensorName? {
        guard isScale, let weight = Self.weightName(forScale: inference) else { return nil }
        return try? TensorName(inference: weight)
    }

    /// The scale that belongs to this tensor when it is a `.weight`, as a ``TensorName``.
    public var scaleTensor: TensorName? {
        guard leaf == "weight", let scale = Self.scaleName(forWeight: inference, style: .inference)
        else { return nil }
        return try? TensorName(inference: scale)
    }
}
