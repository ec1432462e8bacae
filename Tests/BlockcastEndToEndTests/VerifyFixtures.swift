import BlockcastTestSupport
import Foundation

/// Checkpoints the verify and run tests share: the synthetic tiny model, its FP8 conversion,
/// and damaged copies, made once per test process through the binary itself.
enum VerifyFixtures {
    /// A folder that lives as long as the test process.
    static let folder: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("blockcast-verify-e2e-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// `synth --preset tiny --format safetensors`.
    static let tiny: String = {
        let path = folder.appendingPathComponent("tiny").path
        mustRun(["synth", "--preset", "tiny", "--format", "safetensors", path, "--quiet"])
        return path
    }()

    /// `quantize` of ``tiny`` (FP8 projections with float32 scales).
    static let tinyFP8: String = {
        let path = folder.appendingPathComponent("tiny-fp8").path
        mustRun(["quantize", tiny, path, "--quiet"])
        return path
    }()

    /// ``tiny`` split into two rank files.
    static let tinyRanks: String = {
        let path = folder.appendingPathComponent("tiny-r2").path
        mustRun(["reshard", "--world-size", "2", tiny, path, "--quiet"])
        return path
    }()

    /// ``tinyFP8`` with every block scale of routed expert 4 in layer 1 doubled: a converter
    /// bug that leaves the files well-formed.
    static let tinyFP8DamagedExpert: String = {
        let path = copy(tinyFP8, to: "tiny-fp8-damaged")
        try! Safetensors.edit(folder: path) { name, dtype, bytes in
            guard name.hasPrefix("model.layers.1.mlp.experts.4."),
                name.hasSuffix("weight_scale_inv"), dtype == "F32"
            else { return bytes }
            return Safetensors.scaledFloats(bytes, by: 2)
        }
        return path
    }()

    /// ``tiny`` without one expert projection: a checkpoint that disagrees with its config.
    static let tinyMissingTensor: String = {
        let path = copy(tiny, to: "tiny-missing")
        try! Safetensors.edit(folder: path) { name, _, bytes in
            name == missingTensor ? nil : bytes
        }
        return path
    }()

    /// The tensor ``tinyMissingTensor`` lacks.
    static let missingTensor = "model.layers.1.mlp.experts.3.up_proj.weight"

    /// Copies a checkpoint folder without its manifest (the edits change the bytes it
    /// records).
    private static func copy(_ source: String, to name: String) -> String {
        let destination = folder.appendingPathComponent(name).path
        try? FileManager.default.removeItem(atPath: destination)
        try! FileManager.default.copyItem(atPath: source, toPath: destination)
        try? FileManager.default.removeItem(
            atPath: (destination as NSString).appendingPathComponent("blockcast-manifest.json"))
        return destination
    }

    private static func mustRun(_ arguments: [String]) {
        let run = try! BinaryRun.blockcast(arguments)
        precondition(run.status == 0, "fixture step failed: \(arguments)\n\(run)")
    }
}

/// Just enough of the safetensors layout to rewrite a file with tensors changed or removed.
enum Safetensors {
    /// Rewrites every `.safetensors` file in `folder`: `transform` gets each tensor's name,
    /// dtype and bytes and returns new bytes of the same length, or nil to drop the tensor.
    static func edit(
        folder: String, _ transform: (String, String, Data) -> Data?
    ) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
        for name in names where name.hasSuffix(".safetensors") {
            let url = URL(fileURLWithPath: folder).appendingPathComponent(name)
            let data = try Data(contentsOf: url)
            let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.1) << (8 * $1.0) }
            let header =
                try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length)))
                as! [String: Any]
            let body = data.subdata(in: (8 + length)..<data.count)

            var newHeader: [String: Any] = [:]
            var newBody = Data()
            if let metadata = header["__metadata__"] { newHeader["__metadata__"] = metadata }
            let entries = header.filter { $0.key != "__metadata__" }
                .map { ($0.key, $0.value as! [String: Any]) }
                .sorted {
                    ($0.1["data_offsets"] as! [Int])[0] < ($1.1["data_offsets"] as! [Int])[0]
                }
            for (tensor, entry) in entries {
                let offsets = entry["data_offsets"] as! [Int]
                let bytes = body.subdata(in: offsets[0]..<offsets[1])
                guard let changed = transform(tensor, entry["dtype"] as! String, bytes) else {
                    continue
                }
                precondition(changed.count == bytes.count, "edits must keep the size")
                var updated = entry
                updated["data_offsets"] = [newBody.count, newBody.count + changed.count]
                newHeader[tensor] = updated
                newBody.append(changed)
            }

            var headerBytes = try JSONSerialization.data(withJSONObject: newHeader)
            while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
            var out = Data()
            withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) {
                out.append(contentsOf: $0)
            }
            out.append(headerBytes)
            out.append(newBody)
            try out.write(to: url)
        }
    }

    /// Little-endian float32 values multiplied by `factor`.
    static func scaledFloats(_ bytes: Data, by factor: Float) -> Data {
        var values = [Float](repeating: 0, count: bytes.count / 4)
        _ = values.withUnsafeMutableBytes { bytes.copyBytes(to: $0) }
        return Data(bytes: values.map { $0 * factor }, count: bytes.count)
    }
}
