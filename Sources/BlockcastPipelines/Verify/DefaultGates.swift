import BlockcastModel
import Foundation

/// The gates `verify` applies when neither `--gates` nor `--gate` is given.
///
/// The texts are the committed files formats/gates/default.json, synth-tiny.json and
/// synth-small.json (a test checks they agree); formats/gates/README.md says where each bound
/// comes from. The ci-*.json files are tools/gate's, for its fixed inputs only.
package enum DefaultGates {
    /// The gate set for a model: the synthetic preset's when the config has that preset's
    /// shape, the general defaults otherwise; with the name of the file it mirrors.
    package static func gates(for config: ModelConfig) -> (file: String, gates: GateSet) {
        let (file, text): (String, String) =
            if config.hasShape(of: SynthPreset.tiny.config) {
                ("synth-tiny.json", synthTiny)
            } else if config.hasShape(of: SynthPreset.small.config) {
                ("synth-small.json", synthSmall)
            } else {
                ("default.json", general)
            }
        // The texts are compiled in and tested; failing to parse them is a build defect.
        guard let gates = try? GateSet(json: Data(text.utf8), source: file) else {
            preconditionFailure("built-in gate file \(file) does not parse")
        }
        return (file, gates)
    }

    /// Every built-in gate file by name, for the test that compares them with formats/gates.
    package static let files: [String: String] = [
        "default.json": general, "synth-tiny.json": synthTiny, "synth-small.json": synthSmall,
    ]

    static let general = """
        {
          "format": "blockcast-gates",
          "version": 1,
          "description": "Defaults for trained models; see formats/gates/README.md.",
          "gates": {
            "fp32": [
              "logits.rel_rms <= 1e-05",
              "top1 >= 0.999",
              "routing >= 0.999"
            ],
            "bf16": [
              "kl.mean <= 0.0001",
              "kl.p99 <= 0.001",
              "top1 >= 0.99",
              "cosine.min >= 0.999",
              "routing >= 0.98"
            ],
            "fp8-dequant": [
              "kl.mean <= 0.001",
              "kl.p99 <= 0.01",
              "top1 >= 0.97",
              "cosine.min >= 0.99",
              "ppl.ratio <= 1.01",
              "routing >= 0.95"
            ],
            "fp8-gemm": [
              "kl.mean <= 0.002",
              "kl.p99 <= 0.02",
              "top1 >= 0.96",
              "cosine.min >= 0.99",
              "ppl.ratio <= 1.02",
              "routing >= 0.93"
            ],
            "sharded": [
              "logits.rel_rms <= 1e-05",
              "routing == 1"
            ]
          }
        }

        """

    static let synthTiny = """
        {
          "format": "blockcast-gates",
          "version": 1,
          "description": "The synthetic tiny preset (random weights, 128 positions by default); see formats/gates/README.md.",
          "gates": {
            "fp32": [
              "logits.rel_rms <= 1e-05",
              "routing == 1"
            ],
            "bf16": [
              "logits.rel_rms <= 0.1",
              "kl.mean <= 0.003",
              "top1 >= 0.95",
              "ppl.ratio <= 1.02",
              "routing >= 0.97",
              "drift.max <= 0.1"
            ],
            "fp8-dequant": [
              "logits.rel_rms <= 0.2",
              "kl.mean <= 0.03",
              "top1 >= 0.8",
              "top5 >= 0.85",
              "ppl.ratio <= 1.1",
              "routing >= 0.93",
              "drift.max <= 0.2"
            ],
            "fp8-gemm": [
              "logits.rel_rms <= 0.25",
              "kl.mean <= 0.025",
              "top1 >= 0.75",
              "top5 >= 0.82",
              "ppl.ratio <= 1.06",
              "routing >= 0.9",
              "drift.max <= 0.25"
            ],
            "sharded": [
              "logits.rel_rms <= 1e-05",
              "routing == 1"
            ]
          }
        }

        """

    static let synthSmall = """
        {
          "format": "blockcast-gates",
          "version": 1,
          "description": "The synthetic small preset with any tokens (measured over 12 runs of 128 positions, fp32 and ue8m0 scales); see formats/gates/README.md.",
          "gates": {
            "fp32": [
              "logits.rel_rms <= 1e-05",
              "routing == 1"
            ],
            "bf16": [
              "logits.rel_rms <= 0.1",
              "kl.mean <= 0.003",
              "top1 >= 0.92",
              "top5 >= 0.93",
              "ppl.ratio <= 1.02",
              "routing >= 0.97",
              "drift.max <= 0.1"
            ],
            "fp8-dequant": [
              "logits.rel_rms <= 0.2",
              "kl.mean <= 0.013",
              "top1 >= 0.72",
              "top5 >= 0.8",
              "ppl.ratio <= 1.1",
              "routing >= 0.93",
              "drift.max <= 0.2"
            ],
            "fp8-gemm": [
              "logits.rel_rms <= 0.22",
              "kl.mean <= 0.016",
              "top1 >= 0.7",
              "top5 >= 0.78",
              "ppl.ratio <= 1.12",
              "routing >= 0.92",
              "drift.max <= 0.22"
            ],
            "sharded": [
              "logits.rel_rms <= 1e-05",
              "routing == 1"
            ]
          }
        }

        """
}

extension ModelConfig {
    /// Whether the shape-defining fields equal `other`'s (the fields a synthetic preset fixes;
    /// sequence-length and rotary settings are left out).
    package func hasShape(of other: ModelConfig) -> Bool {
        vocabSize == other.vocabSize && dim == other.dim && interDim == other.interDim
            && moeInterDim == other.moeInterDim && layerCount == other.layerCount
            && denseLayerCount == other.denseLayerCount && headCount == other.headCount
            && routedExpertCount == other.routedExpertCount
            && sharedExpertCount == other.sharedExpertCount
            && activatedExpertCount == other.activatedExpertCount
            && expertGroupCount == other.expertGroupCount
            && limitedGroupCount == other.limitedGroupCount && qLoraRank == other.qLoraRank
            && kvLoraRank == other.kvLoraRank && qkNopeHeadDim == other.qkNopeHeadDim
            && qkRopeHeadDim == other.qkRopeHeadDim && vHeadDim == other.vHeadDim
    }
}
