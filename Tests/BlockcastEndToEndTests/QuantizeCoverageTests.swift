import BlockcastContainers
import BlockcastFormats
import BlockcastTestSupport
import Foundation
import Testing

/// Tiny models in half-precision input types and the checks the coverage tests share.
enum CoverageFixture {
    /// `blockcast synth --preset tiny --seed 1 --dtype float16`, made once per test process.
    static let float16Model: String = synthesize(dtype: "float16")

    /// `blockcast synth --preset tiny --seed 1 --dtype bfloat16`, made once per test process.
    static let bfloat16Model: String = synthesize(dtype: "bfloat16")

    /// Writes a tiny synthetic model of `dtype` weights and returns its folder.
    private static func synthesize(dtype: String) -> String {
        let folder = try! QuantizeFixture.scratch("tiny-\(dtype)")
        let run = try! BinaryRun.blockcast([
            "synth", folder + "/model", "--preset", "tiny", "--seed", "1", "--dtype", dtype,
            "--quiet",
        ])
        precondition(run.status == 0, "synth --dtype \(dtype) failed: \(run)")
        return folder + "/model"
    }

    /// The `(row, column)` tile of each element of a `rows × columns` matrix in 128 × 128
    /// blocks, as a flat index into the `[ceil(rows/128), ceil(columns/128)]` scale grid.
    static func tileIndex(_ element: Int, columns: Int) -> Int {
        let tileColumns = (columns + 127) / 128
        return (element / columns / 128) * tileColumns + (element % columns) / 128
    }

    /// The largest magnitude in each 128 × 128 tile of the row-major `values`.
    static func tileAmax(_ values: [Float], rows: Int, columns: Int) -> [Float] {
        var amax = [Float](repeating: 0, count: ((rows + 127) / 128) * ((columns + 127) / 128))
        for (i, value) in values.enumerated() {
            let tile = tileIndex(i, columns: columns)
            amax[tile] = max(amax[tile], abs(value))
        }
        return amax
    }

    /// The names and bytes of every tensor of the checkpoint at `path`.
    static func tensorBytes(_ path: String) throws -> [String: [UInt8]] {
        let checkpoint = try Checkpoint.open(path)
        var result: [String: [UInt8]] = [:]
        for info in checkpoint.tensors { result[info.name] = try checkpoint.read(info).bytes }
        return result
    }

    /// The index of the first byte where `a` and `b` differ (or the shorter length), for
    /// failure messages.
    static func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
        zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? min(a.count, b.count)
    }
}

/// `blockcast quantize` end to end beyond the basics in ``QuantizeCommandTests``: the golden
/// bytes through the binary, `--to bf16`, half-precision inputs, the config, zstd in HDF5,
/// truncated input and infinities.
@Suite("blockcast quantize: coverage")
struct QuantizeCoverageTests {
    private let model = QuantizeFixture.tinyModel

    /// PyTorch computed expected-fp8.safetensors from the same weights (golden/README.md), so
    /// every FP8 code and scale the binary writes must match it bit for bit.
    @Test("golden tiny-a through the binary: FP8 codes and scales are PyTorch's bytes")
    func goldenThroughTheBinary() throws {
        let folder = try QuantizeFixture.scratch("golden")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try BinaryRun.blockcast(
            [
                "quantize", "../shared/golden/tiny-a/model.h5", folder + "/out", "--format",
                "safetensors", "--quiet",
            ], currentDirectory: TestPaths.repository)
        try #require(run.status == 0, "\(run)")

        let expected = try Checkpoint.open(
            TestPaths.golden.appendingPathComponent("tiny-a/expected-fp8.safetensors").path)
        let produced = try Checkpoint.open(folder + "/out")
        #expect(produced.format == .safetensors)
        var compared = 0
        for info in expected.tensors
        where info.dtype == .float8E4M3FN || info.name.hasSuffix("_scale_inv") {
            guard let ours = produced.info(info.name) else {
                Issue.record("tensor \(info.name) is missing from the output")
                continue
            }
            #expect(ours.dtype == info.dtype && ours.shape == info.shape, "\(info.name)")
            // Compared outside #expect, whose failure message would print every byte.
            let mine = try produced.read(ours).bytes
            let theirs = try expected.read(info).bytes
            let identical = mine == theirs
            #expect(
                identical,
                "\(info.name) differs from byte \(CoverageFixture.firstDifference(mine, theirs))")
            compared += 1
        }
        #expect(compared == 76, "38 FP8 weights and their scales")
    }

    /// `--to bf16` rounds the FP8 set to bfloat16 instead; the Python safetensors package must
    /// load the result, and every value is ml_dtypes' round-to-nearest-even of the input.
    @Test("--to bf16: BF16 weights, no scales, loads in Python, values rounded to nearest even")
    func toBFloat16() throws {
        let folder = try QuantizeFixture.scratch("to-bf16")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try QuantizeFixture.succeed([
            "quantize", model, folder + "/out", "--to", "bf16", "--format", "safetensors",
            "--quiet",
        ])

        let input = try Checkpoint.open(model)
        let output = try Checkpoint.open(folder + "/out")
        #expect(output.tensors.count == input.tensors.count)
        for info in output.tensors {
            #expect(!info.name.hasSuffix("_scale_inv"), "unexpected scale \(info.name)")
            if info.name.hasSuffix("e_score_correction_bias") {
                #expect(info.dtype == .float32, "\(info.name)")
            } else {
                #expect(info.dtype == .bfloat16, "\(info.name) is \(info.dtype.rawValue)")
            }
        }
        #expect(output.tensors.filter { $0.shape.count == 2 }.count >= 40)
        let config = try String(contentsOfFile: folder + "/out/config.json", encoding: .utf8)
        #expect(!config.contains("quantization_config"), "\(config)")

        // Swift's codec on one projection, then the independent reference on every tensor.
        let name = "model.layers.0.self_attn.q_a_proj.weight"
        let original = try input.read(name).floats()
        let rounded = try output.read(name).bytes
        let bits = original.map { BFloat16.encode($0) }.withUnsafeBytes { Array($0) }
        let identical = rounded == bits
        #expect(
            identical,
            "\(name) differs from byte \(CoverageFixture.firstDifference(rounded, bits))")

        let script = """
            import sys, glob, numpy as np, h5py, ml_dtypes
            from safetensors.numpy import load_file
            orig = h5py.File(sys.argv[1] + '/model.h5', 'r')
            checked = 0
            for f in sorted(glob.glob(sys.argv[2] + '/*.safetensors')):
                for name, t in load_file(f).items():
                    w = orig[name.replace('.', '/')][...]
                    if name.endswith('e_score_correction_bias'):
                        assert t.dtype == np.float32 and np.array_equal(t, w), name
                        continue
                    assert t.dtype == ml_dtypes.bfloat16, (name, t.dtype)
                    want = w.astype(np.float32).astype(ml_dtypes.bfloat16)
                    assert t.shape == want.shape, name
                    assert np.array_equal(t.view(np.uint16), want.view(np.uint16)), name
                    checked += 1
            print(checked)
            """
        let printed = try Python.run(script: script, arguments: [model, folder + "/out"])
        let checked = Int(printed.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let bfloat16 = output.tensors.filter { $0.dtype == .bfloat16 }.count
        #expect(checked == bfloat16, "python checked \(printed)")
    }

    /// float16 and bfloat16 weights quantize from their exact float32 values: each scale is
    /// `max(amax, 1e-4) / 448` of its tile, and every dequantized value is within half the top
    /// E4M3 step of the input (`amax / 28`, the bound of ``QuantizeCommandTests/roundTrip()``).
    ///
    /// Half-precision inputs often land exactly on a tie (`w / s = 336` rounds to even, 320),
    /// which is the bound itself; the float32 rounding of `float32(q) · s` is relative to the
    /// value, not to the error, so the slack is a few float32 steps of `amax`.
    @Test(
        "float16 and bfloat16 inputs: scales from the exact tile amax, error within amax / 28",
        arguments: ["float16", "bfloat16"])
    func halfPrecisionInput(dtype: String) throws {
        let folder = try QuantizeFixture.scratch("half-\(dtype)")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let model =
            dtype == "float16" ? CoverageFixture.float16Model : CoverageFixture.bfloat16Model
        try QuantizeFixture.succeed([
            "quantize", model, folder + "/fp8", "--format", "safetensors", "--quiet",
        ])
        try QuantizeFixture.succeed([
            "dequantize", folder + "/fp8", folder + "/back", "--to", "fp32", "--quiet",
        ])

        let input = try Checkpoint.open(model)
        let quantized = try Checkpoint.open(folder + "/fp8")
        let back = try Checkpoint.open(folder + "/back")
        let inputType: DType = dtype == "float16" ? .float16 : .bfloat16
        var checked = 0
        for info in quantized.tensors where info.dtype == .float8E4M3FN {
            let source = try #require(input.info(info.name))
            #expect(source.dtype == inputType, "\(info.name) is \(source.dtype.rawValue)")
            let (rows, columns) = (info.shape[0], info.shape[1])
            let original = try input.read(source).floats()
            let restored = try back.read(info.name).floats()
            let scales = try quantized.read(info.name + "_scale_inv").floats()
            let amax = CoverageFixture.tileAmax(original, rows: rows, columns: columns)
            for tile in amax.indices {
                let expected = max(amax[tile], Float(1e-4)) / 448
                #expect(
                    scales[tile] == expected,
                    "\(info.name) tile \(tile): scale \(scales[tile]), expected \(expected)")
            }
            var worst = (index: -1, excess: Float(0))
            for i in original.indices {
                let tileMax = max(amax[CoverageFixture.tileIndex(i, columns: columns)], 1e-4)
                let excess = abs(original[i] - restored[i]) - (tileMax / 28 + tileMax * 1e-6)
                if excess > worst.excess { worst = (i, excess) }
            }
            let at = max(worst.index, 0)
            #expect(
                worst.index < 0,
                "\(info.name) element \(at): \(original[at]) came back as \(restored[at])")
            checked += 1
        }
        #expect(checked == 40)

        // What stays high precision is the input rounded to bfloat16 (a copy for bfloat16).
        let norm = "model.norm.weight"
        let rounded = try input.read(norm).floats().map { BFloat16.encode($0) }
        #expect(try quantized.read(norm).bytes == rounded.withUnsafeBytes { Array($0) })
    }

    /// Runtimes read the block layout and scale encoding from `quantization_config`.
    @Test(
        "config.json carries quantization_config: fp8, e4m3, dynamic, [128, 128], scale_fmt",
        arguments: [("fp32", nil), ("ue8m0", "ue8m0"), ("e8m0", "ue8m0")] as [(String, String?)])
    func quantizationConfig(scaleFormat: String, scaleFmt: String?) throws {
        let folder = try QuantizeFixture.scratch("qconfig")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for format in ["hdf5", "safetensors"] {
            let output = folder + "/" + format
            try QuantizeFixture.succeed([
                "quantize", model, output, "--scale-format", scaleFormat, "--format", format,
                "--quiet",
            ])
            let text = try String(contentsOfFile: output + "/config.json", encoding: .utf8)
            let config = try JSONValue.parse(text)
            let quantization = try #require(config["quantization_config"], "\(text)")
            var expected: [String: JSONValue] = [
                "quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                "weight_block_size": [128, 128],
            ]
            if let scaleFmt { expected["scale_fmt"] = .string(scaleFmt) }
            #expect(quantization == .object(expected), "\(format), --scale-format \(scaleFormat)")
            #expect(config["hidden_size"]?.intValue == 256)
        }
    }

    /// Zstandard-compressed HDF5 must be readable by h5py with hdf5plugin, under the
    /// registered filter id and the level asked for, and hold the same data as no compression.
    @Test("--compress zstd:5: filter 32015 at level 5 in h5py, same data as uncompressed")
    func zstdHDF5() throws {
        let folder = try QuantizeFixture.scratch("zstd")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try QuantizeFixture.succeed([
            "quantize", model, folder + "/zstd", "--format", "hdf5", "--compress", "zstd:5",
            "--quiet",
        ])
        try QuantizeFixture.succeed([
            "quantize", model, folder + "/plain", "--format", "hdf5", "--quiet",
        ])

        let script = """
            import sys, glob, os, h5py, hdf5plugin
            def datasets(f):
                found = {}
                f.visititems(lambda k, o: found.__setitem__(k, o)
                             if isinstance(o, h5py.Dataset) else None)
                return found
            def text(v):
                return v.decode() if isinstance(v, bytes) else v
            zstd, plain = sys.argv[1], sys.argv[2]
            names = sorted(os.path.basename(f) for f in glob.glob(zstd + '/*.h5'))
            assert names and names == sorted(
                os.path.basename(f) for f in glob.glob(plain + '/*.h5')), names
            compressed, same = 0, 0
            for n in names:
                a, b = h5py.File(zstd + '/' + n, 'r'), h5py.File(plain + '/' + n, 'r')
                assert text(a.attrs['config']) == text(b.attrs['config']), n
                da, db = datasets(a), datasets(b)
                assert sorted(da) == sorted(db), n
                for k, x in da.items():
                    y = db[k]
                    assert x.dtype == y.dtype and x.shape == y.shape, k
                    assert text(x.attrs.get('dtype')) == text(y.attrs.get('dtype')), k
                    assert x[...].tobytes() == y[...].tobytes(), k
                    same += 1
                    if text(x.attrs.get('dtype')) != 'float8_e4m3fn':
                        continue
                    plist = x.id.get_create_plist()
                    filters = [plist.get_filter(i) for i in range(plist.get_nfilters())]
                    ids = [f[0] for f in filters]
                    assert 32015 in ids, (k, filters)
                    assert tuple(filters[ids.index(32015)][2])[:1] == (5,), (k, filters)
                    compressed += 1
            print(compressed, same)
            """
        let printed = try Python.run(
            script: script, arguments: [folder + "/zstd", folder + "/plain"])
        let counts = printed.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        #expect(counts.count == 2 && counts[0] == 40 && counts[1] >= 93, "python: \(printed)")
    }

    /// A file cut short is bad input: one `error:` line naming it, exit 2, and none of the
    /// HDF5 library's own error stack on stderr.
    @Test(
        "a truncated HDF5 file: exit 2, one error line naming it, no HDF5-DIAG",
        arguments: ["quantize", "inspect"])
    func truncatedHDF5(command: String) throws {
        let folder = try QuantizeFixture.scratch("truncated")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let whole = try Data(contentsOf: URL(fileURLWithPath: model + "/model.h5"))
        let path = folder + "/truncated.h5"
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))

        let arguments = command == "quantize" ? [command, path, folder + "/out"] : [command, path]
        let run = try BinaryRun.blockcast(arguments)
        #expect(run.status == 2, "\(run)")
        let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "not one line: \(run.stderr)")
        #expect(run.stderr.hasPrefix("error: "), "\(run.stderr)")
        #expect(run.stderr.contains(path), "the file is not named: \(run.stderr)")
        #expect(!run.stderr.contains("HDF5-DIAG"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/out"))
    }

    /// Infinities are refused like NaN, wherever they are and whatever the tensor becomes.
    @Test(
        "an infinite weight is refused with its tensor and the index of the first bad element",
        arguments: [
            ("model.layers.0.mlp.up_proj.weight", "np.inf", "inf"),
            ("model.layers.0.mlp.up_proj.weight", "-np.inf", "-inf"),
            ("model.norm.weight", "np.inf", "inf"),
        ])
    func infinity(tensor: String, python: String, printed: String) throws {
        let folder = try QuantizeFixture.scratch("inf")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let script = """
            import sys, numpy as np
            from safetensors.numpy import save_file
            tensors = {'model.layers.0.mlp.up_proj.weight': np.ones((4, 256), np.float32),
                       'model.layers.0.mlp.down_proj.weight': np.ones((256, 4), np.float32),
                       'model.norm.weight': np.ones(1024, np.float32)}
            bad = tensors[sys.argv[2]].reshape(-1)
            bad[519] = \(python)
            bad[700] = -\(python)
            save_file(tensors, sys.argv[1])
            """
        let input = folder + "/bad.safetensors"
        _ = try Python.run(script: script, arguments: [input, tensor])
        let run = try BinaryRun.blockcast(["quantize", input, folder + "/out"])
        #expect(run.status == 2, "\(run)")
        #expect(run.stderr.contains("'\(tensor)'"), "\(run.stderr)")
        #expect(run.stderr.contains("bad.safetensors"), "\(run.stderr)")
        #expect(run.stderr.contains("(\(printed)) at element 519"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/out"))
    }
}
