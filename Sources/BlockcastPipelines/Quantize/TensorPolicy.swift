import BlockcastFormats

/// What one tensor becomes in a `quantize` output.
package enum TensorTarget: String, Sendable, Hashable, Codable {
    /// FP8 E4M3 codes in 128 × 128 tiles, plus a `…_scale_inv` tensor.
    case fp8
    /// bfloat16.
    case bfloat16
    /// float32 (the router's correction bias keeps full precision).
    case float32
    /// Copied unchanged (integer and boolean tensors).
    case keep
}

/// The rules that decide each tensor's ``TensorTarget`` (quantization.md, "Which tensors become
/// FP8"), with the user's `--include` / `--exclude` patterns on top.
///
/// - Attention projections (`q_proj`, `q_a_proj`, `q_b_proj`, `kv_a_proj_with_mqa`,
///   `kv_b_proj`, `o_proj`) and MLP / expert / shared-expert `gate_proj`, `up_proj`,
///   `down_proj` weights become FP8, as in the public FP8 release of the 671B model.
/// - `e_score_correction_bias` stays float32.
/// - Every other floating-point tensor (embeddings, head, router, norms, the MTP layer's
///   `eh_proj`) becomes bfloat16; integer and boolean tensors are copied.
/// - `--include` adds 2-D floating-point tensors to the FP8 set, `--exclude` removes tensors
///   from it (they become bfloat16); exclude wins. Tensors that are not 2-D never become FP8.
/// - With `--to bf16`, the FP8 set becomes bfloat16 instead.
package struct TensorPolicy: Sendable {
    /// The precision the converted set goes to (`--to`).
    package enum Mode: String, Sendable, CaseIterable {
        /// FP8 E4M3 with block scales.
        case fp8
        /// bfloat16, no scales.
        case bf16
    }

    /// The modules (second-to-last name component) whose `weight` is FP8 by default.
    package static let fp8Modules: Set<String> = [
        "q_proj", "q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj",
        "gate_proj", "up_proj", "down_proj",
    ]

    /// `--to`.
    package var mode: Mode
    /// `--include` patterns.
    package var include: [NamePattern]
    /// `--exclude` patterns.
    package var exclude: [NamePattern]

    /// A policy; with no patterns it is the default table.
    package init(mode: Mode = .fp8, include: [NamePattern] = [], exclude: [NamePattern] = []) {
        self.mode = mode
        self.include = include
        self.exclude = exclude
    }

    /// Whether the default table puts `name` in the FP8 set.
    package static func isDefaultFP8(_ name: String) -> Bool {
        let parts = name.split(separator: ".")
        guard parts.count >= 2, parts[parts.count - 1] == "weight" else { return false }
        return fp8Modules.contains(String(parts[parts.count - 2]))
    }

    /// The target of a tensor of `dtype` and `shape` named `name`.
    package func target(name: String, dtype: DType, shape: [Int]) -> TensorTarget {
        guard dtype.isFloatingPoint else { return .keep }
        if name.hasSuffix("e_score_correction_bias") { return .float32 }

        let selected =
            (Self.isDefaultFP8(name) || include.contains { $0.matches(name) })
            && !exclude.contains { $0.matches(name) }
        guard selected, shape.count == 2 else { return .bfloat16 }
        return mode == .fp8 ? .fp8 : .bfloat16
    }

    /// The patterns that match none of `names`, with the option they came from.
    package func unmatchedPatterns(in names: [String]) -> [(option: String, pattern: String)] {
        var unmatched: [(option: String, pattern: String)] = []
        for (option, patterns) in [("--include", include), ("--exclude", exclude)] {
            for pattern in patterns where !names.contains(where: { pattern.matches($0) }) {
                unmatched.append((option, pattern.text))
            }
        }
        return unmatched
    }
}
