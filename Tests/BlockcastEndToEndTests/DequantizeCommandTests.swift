import BlockcastContainers
import BlockcastFormats
import BlockcastTestSupport
import Foundation
import Testing

/// `blockcast dequantize` end to end: rank files, scale errors, the config, and scale formats.
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

    /// One-byte e8m0 scales are the same powers of two as `ue8m0`'s float32 ones, so
    /// dequantizing either output of the same input must give the same bits.
    @Test(
        "e8m0 scales (F8_E8M0) dequantize to the bits of the ue8m0 (float32) output",
        arguments: ["fp32", "bf16"])
    func e8m0MatchesUE8M0(target: String) throws {
        let folder = try QuantizeFixture.scratch("deq-e8m0")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let model = QuantizeFixture.tinyModel
        for format in ["e8m0", "ue8m0"] {
            try QuantizeFixture.succeed([
                "quantize", model, folder + "/" + format, "--scale-format", format, "--format",
                "safetensors", "--quiet",
            ])
        }

        // The inputs differ only in how the scales are stored.
        let e8m0 = try Checkpoint.open(folder + "/e8m0")
        let ue8m0 = try Checkpoint.open(folder + "/ue8m0")
        let scales = e8m0.tensors.filter { $0.name.hasSuffix("_scale_inv") }
        #expect(scales.count == 40)
        for info in scales {
            #expect(info.dtype == .float8E8M0, "\(info.name) is \(info.dtype.rawValue)")
            let bytes = try e8m0.read(info).bytes
            let floats = try ue8m0.read(info.name).floats()
            #expect(bytes.map { E8M0.decode($0) } == floats, "\(info.name)")
            let weight = String(info.name.dropLast("_scale_inv".count))
            let sameCodes = try e8m0.read(weight) == ue8m0.read(weight)
            #expect(sameCodes, "\(weight)")
        }

        for format in ["e8m0", "ue8m0"] {
            try QuantizeFixture.succeed([
                "dequantize", folder + "/" + format, folder + "/" + format + "-back", "--to",
                target, "--quiet",
            ])
        }
        let fromE8M0 = try Checkpoint.open(folder + "/e8m0-back")
        let fromUE8M0 = try Checkpoint.open(folder + "/ue8m0-back")
        #expect(fromE8M0.tensors.map(\.name).sorted() == fromUE8M0.tensors.map(\.name).sorted())
        #expect(!fromE8M0.tensors.contains { $0.name.hasSuffix("_scale_inv") })
        #expect(!fromE8M0.tensors.contains { $0.dtype.isFloat8 })
        let dtype: DType = target == "fp32" ? .float32 : .bfloat16
        for info in fromE8M0.tensors {
            let other = try #require(fromUE8M0.info(info.name))
            #expect(info.dtype == other.dtype && info.shape == other.shape, "\(info.name)")
            if scales.contains(where: { $0.name == info.name + "_scale_inv" }) {
                #expect(info.dtype == dtype, "\(info.name) is \(info.dtype.rawValue)")
            }
            let identical = try fromE8M0.read(info) == fromUE8M0.read(other)
            #expect(identical, "\(info.name) differs")
        }
        let config = try String(contentsOfFile: folder + "/e8m0-back/config.json", encoding: .utf8)
        #expect(!config.contains("quantization_config"))
    }
}
