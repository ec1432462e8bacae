import BlockcastTestSupport
import Foundation
import Testing

@Suite("blockcast dequantize")
struct DequantizeCommandTests {
    /// Writes a small FP8 checkpoint in Python: `names` says how the scale is spelled.
    private static func fp8File(
        _ path: String, scaleName: String, scaleShape: String, weight: String
    ) throws {
        let script = """
            import sys, json, struct, numpy as np
            q = (np.arange(200 * 130) % 120).astype(np.uint8).reshape(200, 130)
            s = np.full(\(scaleShape), 0.5, np.float32)
            tensors = [('\(weight)', 'F8_E4M3', [200, 130], q.tobytes()),
                       ('\(scaleName)', 'F32', list(s.shape), s.tobytes()),
                       ('norm.weight', 'BF16', [4], np.ones(4, np.uint16).tobytes())]
            header, offset, blob = {}, 0, b''
            for name, dtype, shape, data in tensors:
                header[name] = {'dtype': dtype, 'shape': shape,
                                'data_offsets': [offset, offset + len(data)]}
                offset += len(data)
                blob += data
            text = json.dumps(header).encode()
            text += b' ' * ((8 - len(text) % 8) % 8)
            open(sys.argv[1], 'wb').write(struct.pack('<Q', len(text)) + text + blob)
            """
        _ = try Python.run(script: script, arguments: [path])
    }

    @Test("rank files (….weight + ….scale) dequantize file by file, keeping names")
    func rankFiles() throws {
        let folder = try QuantizeFixture.scratch("deq-ranks")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(
            atPath: folder + "/ranks", withIntermediateDirectories: true)
        for rank in 0..<2 {
            try Self.fp8File(
                folder + "/ranks/model\(rank)-mp2.safetensors", scaleName: "layers.0.attn.wq.scale",
                scaleShape: "(2, 2)", weight: "layers.0.attn.wq.weight")
        }
        try QuantizeFixture.succeed([
            "dequantize", folder + "/ranks", folder + "/out", "--quiet",
        ])
        let files = QuantizeFixture.visibleFiles(folder + "/out")
        #expect(files["model0-mp2.safetensors"] != nil && files["model1-mp2.safetensors"] != nil)
        let script = """
            import sys, json, struct, numpy as np, ml_dtypes
            raw = open(sys.argv[1], 'rb').read()
            n = struct.unpack('<Q', raw[:8])[0]
            h = json.loads(raw[8:8 + n])
            assert 'layers.0.attn.wq.scale' not in h, h.keys()
            v = h['layers.0.attn.wq.weight']
            assert v['dtype'] == 'BF16', v
            a, b = v['data_offsets']
            w = np.frombuffer(raw[8 + n + a:8 + n + b], ml_dtypes.bfloat16).astype(np.float32)
            q = (np.arange(200 * 130) % 120).astype(np.uint8).view(ml_dtypes.float8_e4m3fn)
            assert np.array_equal(w, q.astype(np.float32) * 0.5)
            print('ok')
            """
        let output = try Python.run(
            script: script, arguments: [folder + "/out/model1-mp2.safetensors"])
        #expect(output.contains("ok"))
    }

    @Test(
        "a missing scale or a scale of the wrong shape is an error naming it",
        arguments: [
            ("x.weight_scale", "(2, 2)", "has no scale tensor 'x.weight_scale_inv'"),
            ("x.weight_scale_inv", "(1, 2)", "should be of shape [2, 2]"),
        ])
    func badScales(scaleName: String, shape: String, message: String) throws {
        let folder = try QuantizeFixture.scratch("deq-bad")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.fp8File(
            folder + "/in.safetensors", scaleName: scaleName, scaleShape: shape,
            weight: "x.weight")
        let run = try BinaryRun.blockcast(["dequantize", folder + "/in.safetensors", folder + "/o"])
        #expect(run.status == 2, "\(run)")
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/o"))
    }

    @Test("quantization_config leaves the config; the bfloat16 result quantizes again alike")
    func configAndRequantize() throws {
        let folder = try QuantizeFixture.scratch("deq-config")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let model = QuantizeFixture.tinyModel
        try QuantizeFixture.succeed([
            "quantize", model, folder + "/fp8", "--format", "safetensors", "--quiet",
        ])
        try QuantizeFixture.succeed(["dequantize", folder + "/fp8", folder + "/bf16", "--quiet"])
        let config = try String(contentsOfFile: folder + "/bf16/config.json", encoding: .utf8)
        #expect(!config.contains("quantization_config"))
        #expect(config.contains("\"hidden_size\": 256"))

        // FP8 values times their scale are exact in bfloat16 only when in range; quantizing
        // the dequantized weights must at least reproduce the same layout and policy.
        try QuantizeFixture.succeed([
            "quantize", folder + "/bf16", folder + "/fp8-again", "--quiet",
        ])
        let again = QuantizeFixture.visibleFiles(folder + "/fp8-again")
        #expect(Set(again.keys) == Set(QuantizeFixture.visibleFiles(folder + "/fp8").keys))
    }
}
