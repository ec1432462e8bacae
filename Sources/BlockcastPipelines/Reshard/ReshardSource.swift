import BlockcastContainers
import BlockcastFormats
import BlockcastModel
import Foundation

/// Where `reshard` reads from: a checkpoint with Hugging Face (or inference) names, the rank
/// files of an earlier run presented as the tensors they were cut from, or a preset shape
/// that can only be planned.
package final class ReshardSource: @unchecked Sendable {
    /// What the planner sees.
    package let input: ReshardInput
    /// A phrase naming the input for messages (`checkpoint 'x.safetensors'`).
    package let label: String
    /// The folder beside the input whose `config.json` and `*token*` files are copied.
    package let directory: String?
    /// The config JSON to write beside the output (verbatim bytes of the input's file).
    package let configBytes: [UInt8]?

    private enum Backing {
        case checkpoint(Checkpoint)
        case ranks(RankDirectory)
        case planOnly
    }
    private let backing: Backing

    private init(
        input: ReshardInput, label: String, directory: String?, configBytes: [UInt8]?,
        backing: Backing
    ) {
        self.input = input
        self.label = label
        self.directory = directory
        self.configBytes = configBytes
        self.backing = backing
    }

    /// Whether tensor data can be read (false for presets).
    package var isReadable: Bool {
        if case .planOnly = backing { return false }
        return true
    }

    /// Opens `path`: a directory of rank files `model{r}-mp{n}.safetensors` (or `.h5`), or
    /// any checkpoint file or directory ``Checkpoint`` opens.
    ///
    /// - Throws: ``ReshardError`` when the input cannot be opened, a rank is missing, or the
    ///   config cannot be read.
    package static func open(_ path: String) throws(ReshardError) -> ReshardSource {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists && isDirectory.boolValue, let ranks = try RankDirectory.find(in: path) {
            let opened = try RankDirectory.open(path, files: ranks)
            let configBytes = readFile((path as NSString).appendingPathComponent("config.json"))
            let config = try parseConfig(configBytes.map { Data($0) }, path: path)
            let input = ReshardInput(
                tensors: opened.merged.map(\.info), style: .inference, config: config.model,
                scaleFormat: config.scaleFormat)
            return ReshardSource(
                input: input, label: "the \(ranks.count) rank files in '\(path)'",
                directory: path, configBytes: configBytes, backing: .ranks(opened))
        }

        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint.open(path)
        } catch {
            throw ReshardError(.input, error.description)
        }
        let directory = checkpoint.root.isEmpty ? "." : checkpoint.root
        var configBytes = readFile((directory as NSString).appendingPathComponent("config.json"))
        if configBytes == nil, let json = checkpoint.config {
            configBytes = Array((json.prettySerialized() + "\n").utf8)
        }
        let config = try parseConfig(configBytes.map { Data($0) }, path: path)
        let input = ReshardInput(
            tensors: checkpoint.tensors, style: detectStyle(checkpoint.tensors),
            config: config.model, scaleFormat: config.scaleFormat)
        return ReshardSource(
            input: input, label: "'\(path)'", directory: directory, configBytes: configBytes,
            backing: .checkpoint(checkpoint))
    }

    /// A source that only plans: the tensors a published model of `config` has, in the
    /// layout of its public FP8 release (`fp8`) or in bfloat16 throughout. `name` is the
    /// preset's; `label` replaces `preset 'name'` in messages (a config file's path).
    package static func preset(
        _ name: String, config: ModelConfig, fp8: Bool, label: String? = nil
    ) -> ReshardSource {
        let policy = TensorPolicy(mode: fp8 ? .fp8 : .bf16)
        var tensors: [TensorInfo] = []
        for (tensorName, shape) in config.expectedTensors(includeMTP: true) {
            let file = "preset"
            switch policy.target(name: tensorName, dtype: .float32, shape: shape) {
            case .fp8:
                tensors.append(
                    TensorInfo(name: tensorName, dtype: .float8E4M3FN, shape: shape, file: file))
                let scale = TensorName.scaleName(forWeight: tensorName, style: .huggingFace)!
                tensors.append(
                    TensorInfo(
                        name: scale, dtype: .float32, shape: shape.map { ($0 + 127) / 128 },
                        file: file))
            case .float32, .keep:
                tensors.append(
                    TensorInfo(name: tensorName, dtype: .float32, shape: shape, file: file))
            case .bfloat16:
                tensors.append(
                    TensorInfo(name: tensorName, dtype: .bfloat16, shape: shape, file: file))
            }
        }
        let input = ReshardInput(tensors: tensors, style: .huggingFace, config: config)
        return ReshardSource(
            input: input, label: "\(label ?? "preset '\(name)'") (\(fp8 ? "FP8" : "BF16") layout)",
            directory: nil, configBytes: nil, backing: .planOnly)
    }

    /// Reads input tensor `index` (of ``input``'s tensors).
    package func read(_ index: Int) throws(ReshardError) -> Tensor {
        switch backing {
        case .checkpoint(let checkpoint):
            do {
                return try checkpoint.read(input.tensors[index])
            } catch {
                throw ReshardError(.input, error.description)
            }
        case .ranks(let ranks):
            return try ranks.read(index)
        case .planOnly:
            preconditionFailure("a preset has no tensor data")
        }
    }

    /// Hugging Face when any name has the `model.` prefix or is the `lm_head`, else inference.
    private static func detectStyle(_ tensors: [TensorInfo]) -> NamingStyle {
        let hf = tensors.contains { $0.name.hasPrefix("model.") || $0.name.hasPrefix("lm_head.") }
        return hf || tensors.isEmpty ? .huggingFace : .inference
    }

    private static func readFile(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }

    /// The model config and the scale rule of its `quantization_config`.
    private static func parseConfig(
        _ data: Data?, path: String
    ) throws(ReshardError) -> (model: ModelConfig?, scaleFormat: ScaleFormat) {
        guard let data else { return (nil, .float32) }
        let model: ModelConfig
        do {
            model = try ModelConfig(jsonData: data)
        } catch {
            throw ReshardError(
                .input, "The config beside '\(path)' cannot be used: \(error).")
        }
        var scaleFormat = ScaleFormat.float32
        if let json = try? JSONValue.parse([UInt8](data)),
            json["quantization_config"]?["scale_fmt"]?.stringValue == "ue8m0"
        {
            scaleFormat = .ue8m0
        }
        return (model, scaleFormat)
    }
}
