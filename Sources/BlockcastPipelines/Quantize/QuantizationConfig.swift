import BlockcastContainers
import BlockcastFormats
import Foundation

/// The `quantization_config` runtimes read from an FP8 checkpoint's `config.json`, and the
/// small JSON pieces the quantize and dequantize pipelines share.
package enum QuantizationConfig {
    /// `{"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
    /// "weight_block_size": [128, 128]}`, plus `"scale_fmt": "ue8m0"` for power-of-two scales.
    package static func value(scaleFormat: ScaleFormat) -> JSONValue {
        var members: [String: JSONValue] = [
            "quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
            "weight_block_size": [
                .integer(BlockShape.deepSeek.rows), .integer(BlockShape.deepSeek.columns),
            ],
        ]
        if scaleFormat == .ue8m0 { members["scale_fmt"] = "ue8m0" }
        return .object(members)
    }

    /// The input's config with `quantization_config` set when the plan has FP8 tensors (and
    /// removed otherwise), and `torch_dtype` bfloat16 when the input named one.
    package static func outputConfig(
        input: JSONValue?, plan: QuantizePlan, scaleFormat: ScaleFormat
    ) -> JSONValue {
        var members = input?.objectValue ?? [:]
        if plan.entries.contains(where: { $0.target == .fp8 }) {
            members["quantization_config"] = value(scaleFormat: scaleFormat)
        } else {
            members["quantization_config"] = nil
        }
        if members["torch_dtype"] != nil { members["torch_dtype"] = "bfloat16" }
        return .object(members)
    }

    /// The files the final step writes: the index (multi-file safetensors), `config.json`
    /// and the manifest.
    package static func mergedNames(format: ContainerFormat, files: [PlannedFile]) -> [String] {
        var names = ["config.json", Manifest.fileName]
        if format == .safetensors && files.count > 1 {
            names.insert("model.safetensors.index.json", at: 0)
        }
        return names
    }

    /// Statistics as a JSON value (non-finite numbers as strings).
    package static func encode(_ statistics: QuantizationStatistics) throws -> JSONValue {
        let data = try JSONEncoder().encode(statistics)
        return try JSONValue.parse(Array(data))
    }

    /// Statistics from ``encode(_:)``'s JSON, or nil.
    package static func decode(_ value: JSONValue) -> QuantizationStatistics? {
        try? JSONDecoder().decode(
            QuantizationStatistics.self, from: Data(value.serialized().utf8))
    }

    /// A 128-bit FNV-1a digest of `text` in hex (two 64-bit lanes with different offsets),
    /// stable across runs and machines.
    package static func digest(_ text: String) -> String {
        var a: UInt64 = 0xCBF2_9CE4_8422_2325
        var b: UInt64 = 0x8422_2325_CBF2_9CE4
        for byte in text.utf8 {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            b = (b ^ UInt64(byte ^ 0x5A)) &* 0x0000_0100_0000_01B3
        }
        return String(a, radix: 16) + String(b, radix: 16)
    }
}
