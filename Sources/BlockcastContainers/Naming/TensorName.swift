/// One checkpoint tensor name in both spellings, with what the sharding table says about it.
///
/// Built from either spelling by ``init(huggingFace:)`` or ``init(inference:)``; the two are
/// exact inverses on every name they accept, so a merge can restore the input's names bit for
/// bit. Names that would not survive that round trip are refused rather than guessed.
public struct TensorName: Hashable, Sendable, CustomStringConvertible {
    /// The Hugging Face spelling (`model.layers.5.mlp.experts.17.down_proj.weight_scale_inv`).
    public let huggingFace: String
    /// The inference spelling (`layers.5.ffn.experts.17.w2.scale`).
    public let inference: String
    /// The module in inference spelling (`w2`): the second-to-last component.
    public let module: String
    /// The last component in inference spelling (`weight`, `scale`, `bias`).
    public let leaf: String
    /// The block index for tensors under `layers.<i>.`, nil for the embedding, norm and head.
    public let layer: Int?
    /// The routed expert index for tensors under `ffn.experts.<e>.`, nil otherwise (shared
    /// experts are not routed experts).
    public let expert: Int?
    /// Whether the module exists only in multi-token-prediction layers (`enorm`, `eh_proj`…).
    public let isMultiTokenPredictionModule: Bool
    /// How the tensor is split over ranks: routed experts go whole to one rank, other tensors
    /// follow their module's row of ``ShardingTable``.
    public let placement: ShardPlacement

    /// Translates a Hugging Face name (sharding.md, "Renaming", steps 1–4 in order).
    ///
    /// - Throws: ``NamingError`` naming the tensor when its module is not in the table, or
    ///   when the name already uses an inference spelling that would make it ambiguous.
    public init(huggingFace name: String) throws(NamingError) {
        // Step 1: a leading `model.` goes (lm_head has none).
        var components = Substring(name).split(separator: ".", omittingEmptySubsequences: false)
            .map(String.init)
        if components.first == "model" { components.removeFirst() }
        try Self.checkShape(components, name: name)

        // A plain `bias` on the router would collide with the renamed correction bias.
        let moduleIndex = components.count - 2
        if components[moduleIndex] == "gate", components[moduleIndex + 1] == "bias" {
            throw NamingError(
                .ambiguous, tensor: name,
                "Tensor '\(name)' is a plain 'bias' on the router, which would collide with "
                    + "the renamed 'e_score_correction_bias'.")
        }
        if components[moduleIndex] != "gate", components.contains("e_score_correction_bias") {
            throw NamingError(
                .misplacedModule, tensor: name,
                "Tensor '\(name)' has an 'e_score_correction_bias' outside the router "
                    + "('mlp.gate').")
        }

        // Steps 2–3: whole-component renames. A component already in inference spelling
        // would come back differently from the inverse, so it is refused.
        for index in components.indices {
            if let rename = Self.renames.first(where: { $0.inference == components[index] }),
                rename.inference != "bias"
            {
                throw NamingError(
                    .ambiguous, tensor: name,
                    "Tensor '\(name)' uses '\(rename.inference)', the inference spelling of "
                        + "'\(rename.huggingFace)'; a Hugging Face name must not.")
            }
            if let rename = Self.renames.first(where: { $0.huggingFace == components[index] }) {
                components[index] = rename.inference
            }
        }
        let layer = Self.layerIndex(components)

        // Step 4: the module, by the table; MTP-only modules are looked up inside a layer.
        let hfModule = components[moduleIndex]
        let entry: ShardingTable.Entry
        var mtpOnly = false
        if let main = ShardingTable.byHuggingFace[hfModule] {
            if main.huggingFace == "lm_head", layer != nil {
                throw NamingError(
                    .misplacedModule, tensor: name,
                    "Tensor '\(name)' has the output head 'lm_head' inside a layer; inside a "
                        + "multi-token-prediction layer it is 'shared_head.head'.")
            }
            entry = main
        } else if let mtp = ShardingTable.mtpByHuggingFace[hfModule] {
            guard layer != nil else {
                throw NamingError(
                    .misplacedModule, tensor: name,
                    "Tensor '\(name)' has module '\(hfModule)', which exists only inside "
                        + "multi-token-prediction layers ('model.layers.<i>.\(hfModule)').")
            }
            entry = mtp
            mtpOnly = true
        } else {
            throw Self.unknownModule(hfModule, name: name, known: ShardingTable.byHuggingFace)
        }
        components[moduleIndex] = entry.inference

        self.init(
            huggingFace: name, inference: components.joined(separator: "."), components: components,
            layer: layer, entry: entry, mtpOnly: mtpOnly)
    }

    /// Translates an inference name back to its Hugging Face spelling (the exact inverse of
    /// ``init(huggingFace:)``).
    ///
    /// - Throws: ``NamingError`` naming the tensor when its module is not in the table.
    public init(inference name: String) throws(NamingError) {
        let components = Substring(name).split(separator: ".", omittingEmptySubsequences: false)
            .map(String.init)
        try Self.checkShape(components, name: name)
        let moduleIndex = components.count - 2
        for component in components {
            if let rename = Self.renames.first(where: { $0.huggingFace == component }) {
                throw NamingError(
                    .ambiguous, tensor: name,
                    "Tensor '\(name)' uses '\(rename.huggingFace)', the Hugging Face spelling "
                        + "of '\(rename.inference)'; an inference name must not.")
            }
        }
        let layer = Self.layerIndex(components)

        // The module: inside a layer the MTP-only names win (`head` there is the MTP head).
        let module = components[moduleIndex]
        let entry: ShardingTable.Entry
        var mtpOnly = false
        if layer != nil, let mtp = ShardingTable.mtpByInference[module] {
            entry = mtp
            mtpOnly = true
        } else if let main = ShardingTable.byInference[module] {
            entry = main
        } else if ShardingTable.mtpByInference[module] != nil {
            throw NamingError(
                .misplacedModule, tensor: name,
                "Tensor '\(name)' has module '\(module)', which exists only inside "
                    + "multi-token-prediction layers ('layers.<i>.\(module)').")
        } else {
            throw Self.unknownModule(module, name: name, known: ShardingTable.byInference)
        }

        // Undo steps 4, 3 and 2, then put `model.` back (lm_head never had it).
        var hf = components
        hf[moduleIndex] = entry.huggingFace
        for index in hf.indices where index != moduleIndex {
            // Only the router's bias is a renamed one; any other `bias` keeps its name.
            if hf[index] == "bias", module != "gate" { continue }
            if let rename = Self.renames.first(where: { $0.inference == hf[index] }) {
                hf[index] = rename.huggingFace
            }
        }
        let joined = hf.joined(separator: ".")
        let huggingFace = entry.huggingFace == "lm_head" ? joined : "model." + joined

        self.init(
            huggingFace: huggingFace, inference: name, components: components, layer: layer,
            entry: entry, mtpOnly: mtpOnly)
    }

    /// Translates a name given in `style`.
    public init(_ name: String, style: NamingStyle) throws(NamingError) {
        switch style {
        case .huggingFace: try self.init(huggingFace: name)
        case .inference: try self.init(inference: name)
        }
    }

    private init(
        huggingFace: String, inference: String, components: [String], layer: Int?,
        entry: ShardingTable.Entry, mtpOnly: Bool
    ) {
        self.huggingFace = huggingFace
        self.inference = inference
        self.module = components[components.count - 2]
        self.leaf = components[components.count - 1]
        self.layer = layer
        self.expert = Self.routedExpertIndex(components)
        self.isMultiTokenPredictionModule = mtpOnly
        if let expert {
            self.placement = .expert(index: expert)
        } else {
            self.placement = entry.placement
        }
    }

    /// The name in `style`.
    public func spelled(_ style: NamingStyle) -> String {
        style == .huggingFace ? huggingFace : inference
    }

    /// Whether this is a block-scale tensor (`weight_scale_inv` / `scale`).
    public var isScale: Bool { leaf == "scale" }

    /// Whether the tensor belongs to a multi-token-prediction layer of a model with
    /// `layerCount` main blocks (its layer index is `layerCount` or more).
    public func isMultiTokenPrediction(layerCount: Int) -> Bool {
        guard let layer else { return false }
        return layer >= layerCount
    }

    /// The inference spelling.
    public var description: String { inference }
}

extension TensorName {
    private static var renames: [(huggingFace: String, inference: String)] {
        ShardingTable.componentRenames
    }

    /// Every name has at least a module and a leaf, and no empty component.
    private static func checkShape(_ components: [String], name: String) throws(NamingError) {
        guard components.count >= 2, !components.contains(where: \.isEmpty) else {
            throw NamingError(
                .malformedName, tensor: name,
                "Tensor '\(name)' is not a dotted '<module>.<parameter>' name.")
        }
    }

    /// `i` for names that start `layers.<i>.`.
    private static func layerIndex(_ components: [String]) -> Int? {
        guard components.count > 2, components[0] == "layers" else { return nil }
        return Self.index(components[1])
    }

    /// `e` for names containing `ffn.experts.<e>.` (inference spelling).
    private static func routedExpertIndex(_ components: [String]) -> Int? {
        for index in 1..<max(1, components.count - 2)
        where components[index] == "experts" && components[index - 1] == "ffn" {
            return Self.index(components[index + 1])
        }
        return nil
    }

    /// A non-negative decimal index without sign or leading zeros (so it prints back
    /// identically).
    private static func index(_ text: String) -> Int? {
        guard let value = Int(text), value >= 0, String(value) == text else { return nil }
        return value
    }

    private static func unknownModule(
        _ module: String, name: String, known: [String: ShardingTable.Entry]
    ) -> NamingError {
        let list = known.keys.sorted().joined(separator: ", ")
        return NamingError(
            .unknownModule, tensor: name,
            "Tensor '\(name)' has module '\(module)', which the sharding table does not list "
                + "(known: \(list)).")
    }
}
