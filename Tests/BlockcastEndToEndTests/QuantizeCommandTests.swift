import BlockcastTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A tiny synthetic model and scratch folders, shared by the synth, quantize and dequantize
/// end-to-end tests.
enum QuantizeFixture {
    /// `blockcast synth --preset tiny --seed 1`, made once per test process.
    static let tinyModel: String = {
        let folder = try! scratch("tiny-model")
        let run = try! BinaryRun.blockcast([
            "synth", folder + "/model", "--preset", "tiny", "--seed", "1", "--quiet",
        ])
        precondition(run.status == 0, "synth failed: \(run)")
        return folder + "/model"
    }()

    /// A fresh folder under the temporary directory.
    static func scratch(_ label: String) throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("blockcast-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// Every visible file of `directory` (names not starting with a dot) and its bytes.
    static func visibleFiles(_ directory: String) -> [String: Data] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var files: [String: Data] = [:]
        for name in names where !name.hasPrefix(".") {
            files[name] = FileManager.default.contents(atPath: directory + "/" + name)
        }
        return files
    }

    /// Runs blockcast and requires exit status 0.
    @discardableResult
    static func succeed(_ arguments: [String]) throws -> BinaryRun {
        let run = try BinaryRun.blockcast(arguments)
        #expect(run.status == 0, "blockcast \(arguments.joined(separator: " ")): \(run)")
        return run
    }
}

@Suite("blockcast quantize")
struct QuantizeCommandTests {
    private let model = QuantizeFixture.tinyModel

    @Test("the same bytes for --threads 1 and --threads 2, HDF5 and safetensors")
    func threadInvariance() throws {
        let folder = try QuantizeFixture.scratch("threads")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for format in ["safetensors", "hdf5"] {
            try QuantizeFixture.succeed([
                "quantize", model, folder + "/\(format)-1", "--format", format, "--threads", "1",
                "--quiet",
            ])
            try QuantizeFixture.succeed([
                "quantize", model, folder + "/\(format)-2", "--format", format, "--threads", "2",
                "--quiet",
            ])
            let one = QuantizeFixture.visibleFiles(folder + "/\(format)-1")
            let two = QuantizeFixture.visibleFiles(folder + "/\(format)-2")
            #expect(one.count >= 5, "files: \(one.keys.sorted())")
            #expect(one == two, "\(format) output depends on the thread count")
        }
    }

    @Test("--part 1/2 and --part 2/2 give the bytes of one process; the last part merges")
    func parts() throws {
        let folder = try QuantizeFixture.scratch("parts")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try QuantizeFixture.succeed(["quantize", model, folder + "/whole", "--quiet"])
        let first = try QuantizeFixture.succeed([
            "quantize", model, folder + "/parts", "--part", "1/2", "--quiet",
        ])
        #expect(first.stdout.contains("wrote") == false)
        // Nothing merged yet: no config, index or manifest while a part is missing.
        let partial = QuantizeFixture.visibleFiles(folder + "/parts")
        #expect(partial["config.json"] == nil && partial["blockcast-manifest.json"] == nil)

        // The second part comes from the launcher variables, as under Slurm.
        let second = try BinaryRun.blockcast(
            ["quantize", model, folder + "/parts", "--quiet"],
            environment: ["SLURM_PROCID": "1", "SLURM_NTASKS": "2"])
        #expect(second.status == 0, "\(second)")
        #expect(
            QuantizeFixture.visibleFiles(folder + "/whole")
                == QuantizeFixture.visibleFiles(folder + "/parts"))
        let hidden = (try FileManager.default.contentsOfDirectory(atPath: folder + "/parts"))
            .filter { $0.hasPrefix(".") }
        #expect(hidden.isEmpty, "left behind: \(hidden)")
    }

    @Test("a held merge lock defers the merge; --merge takes it over and merges once")
    func mergeLock() throws {
        let folder = try QuantizeFixture.scratch("merge")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try QuantizeFixture.succeed(["quantize", model, folder + "/whole", "--quiet"])
        let parts = folder + "/parts"
        try QuantizeFixture.succeed(["quantize", model, parts, "--part", "1/2", "--quiet"])

        let early = try BinaryRun.blockcast(["quantize", model, parts, "--merge"])
        #expect(early.status == 2 && early.stderr.contains("not finished"), "\(early)")

        // A live process (pid 1, this host) holds the lock: the last part leaves the merge.
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, 255)
        try "\(String(cString: host)) 1".write(
            toFile: parts + "/.blockcast-quantize/merge.lock", atomically: true, encoding: .utf8)
        let last = try QuantizeFixture.succeed([
            "quantize", model, parts, "--part", "2/2", "--quiet",
        ])
        #expect(last.stderr.isEmpty || !last.stderr.contains("error"), "\(last)")
        #expect(QuantizeFixture.visibleFiles(parts)["blockcast-manifest.json"] == nil)

        try QuantizeFixture.succeed(["quantize", model, parts, "--merge", "--quiet"])
        #expect(
            QuantizeFixture.visibleFiles(parts) == QuantizeFixture.visibleFiles(folder + "/whole"))
        try QuantizeFixture.succeed(["quantize", model, parts, "--merge", "--quiet"])
    }

    /// Kills the process at random moments; what is visible must always be complete files of
    /// the final output, and `--resume` must then give exactly the uninterrupted bytes.
    @Test("SIGKILL at random points leaves no partial file; --resume gives the same bytes")
    func killAndResume() throws {
        let folder = try QuantizeFixture.scratch("kill")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let arguments = ["--format", "safetensors", "--threads", "1", "--quiet"]

        let started = Date()
        try QuantizeFixture.succeed(["quantize", model, folder + "/reference"] + arguments)
        let duration = Date().timeIntervalSince(started)
        let reference = QuantizeFixture.visibleFiles(folder + "/reference")

        var generator = SystemRandomNumberGenerator()
        for iteration in 0..<6 {
            let output = folder + "/run\(iteration)"
            let process = Process()
            process.executableURL = TestPaths.binary
            process.arguments = ["quantize", model, output] + arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let delay = Double.random(in: 0.005...max(0.01, duration), using: &generator)
            usleep(useconds_t(delay * 1_000_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()

            for (name, bytes) in QuantizeFixture.visibleFiles(output) {
                #expect(reference[name] == bytes, "iteration \(iteration): partial \(name)")
            }
            let resumed = try BinaryRun.blockcast(
                ["quantize", model, output, "--resume"] + arguments)
            #expect(resumed.status == 0, "iteration \(iteration): \(resumed)")
            #expect(
                QuantizeFixture.visibleFiles(output) == reference,
                "iteration \(iteration): resumed output differs")
        }
    }

    @Test("quantize then dequantize --to fp32 stays within half an FP8 step of each block")
    func roundTrip() throws {
        let folder = try QuantizeFixture.scratch("roundtrip")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try QuantizeFixture.succeed([
            "quantize", model, folder + "/fp8", "--format", "safetensors", "--quiet",
        ])
        try QuantizeFixture.succeed([
            "dequantize", folder + "/fp8", folder + "/back", "--to", "fp32", "--quiet",
        ])

        // Largest error of an E4M3 value: half its top-binade step, 16 · scale = amax / 28.
        let script = """
            import sys, glob, json, struct, numpy as np, h5py, ml_dtypes
            from safetensors import safe_open
            orig = h5py.File(sys.argv[1] + '/model.h5', 'r')
            def load(d):
                out = {}
                for f in glob.glob(d + '/*.safetensors'):
                    with safe_open(f, 'numpy') as s:
                        keys = list(s.keys())
                    raw = open(f, 'rb').read()
                    n = struct.unpack('<Q', raw[:8])[0]
                    header = json.loads(raw[8:8 + n])
                    assert sorted(k for k in header if k != '__metadata__') == sorted(keys)
                    for k, v in header.items():
                        if k == '__metadata__': continue
                        a, b = v['data_offsets']
                        dt = {'F32': np.float32, 'BF16': ml_dtypes.bfloat16,
                              'F8_E4M3': ml_dtypes.float8_e4m3fn}[v['dtype']]
                        out[k] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=dt).reshape(v['shape'])
                return out
            fp8, back = load(sys.argv[2]), load(sys.argv[3])
            checked = 0
            for name, q in fp8.items():
                if name.endswith('_scale_inv'):
                    assert name not in back
                    continue
                w = orig[name.replace('.', '/')][...].astype(np.float32)
                if q.dtype == ml_dtypes.float8_e4m3fn:
                    s = fp8[name + '_scale_inv']
                    r, c = w.shape
                    full = np.kron(s, np.ones((128, 128), np.float32))[:r, :c]
                    deq = q.astype(np.float32) * full
                    assert np.array_equal(deq, back[name]), name
                    amax = np.kron(s * 448, np.ones((128, 128), np.float32))[:r, :c]
                    assert np.all(np.abs(w - deq) <= amax / 28 * (1 + 1e-6)), name
                    checked += 1
                elif name.endswith('e_score_correction_bias'):
                    assert q.dtype == np.float32 and np.array_equal(q, w), name
                else:
                    assert q.dtype == ml_dtypes.bfloat16, name
                    assert np.array_equal(q, w.astype(ml_dtypes.bfloat16)), name
            print(checked)
            """
        let output = try Python.run(
            script: script, arguments: [model, folder + "/fp8", folder + "/back"])
        #expect(Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) == 40)
    }

    @Test("HDF5 output loads in h5py with dtype tags, the config and quantization_config")
    func hdf5Interop() throws {
        let folder = try QuantizeFixture.scratch("h5")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try QuantizeFixture.succeed([
            "quantize", model, folder + "/out", "--compress", "zstd:5", "--scale-format", "e8m0",
            "--quiet",
        ])
        let script = """
            import sys, glob, json, h5py, hdf5plugin, numpy as np
            tags = {}
            for f in sorted(glob.glob(sys.argv[1] + '/*.h5')):
                h = h5py.File(f, 'r')
                config = json.loads(h.attrs['config'])
                assert config['quantization_config']['scale_fmt'] == 'ue8m0', config
                def visit(name, obj):
                    if isinstance(obj, h5py.Dataset):
                        obj[...]
                        tags[obj.attrs.get('dtype', str(obj.dtype))] = 1
                h.visititems(visit)
            print(' '.join(sorted(tags)))
            """
        let output = try Python.run(script: script, arguments: [folder + "/out"])
        #expect(output.contains("float8_e4m3fn") && output.contains("e8m0"), "\(output)")
        #expect(output.contains("bfloat16") && output.contains("float32"), "\(output)")
    }

    @Test("--dry-run prints every tensor and the output size and writes nothing")
    func dryRun() throws {
        let folder = try QuantizeFixture.scratch("dry")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try QuantizeFixture.succeed([
            "quantize", model, folder + "/out", "--dry-run", "--exclude", "*.experts.*",
            "--json", folder + "/plan.json",
        ])
        #expect(run.stdout.contains("model.layers.0.self_attn.q_a_proj.weight"))
        #expect(run.stdout.contains("F8_E4M3 + scale"))
        #expect(run.stdout.contains("53 tensors (16 to FP8) in 3 files"), "\(run.stdout)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/out"))
        let plan = try String(contentsOfFile: folder + "/plan.json", encoding: .utf8)
        #expect(plan.contains("\"format\": \"blockcast-quantize-report\""))
    }

    @Test("the report lists every FP8 tensor, the worst ones, and all of it in --json")
    func report() throws {
        let folder = try QuantizeFixture.scratch("report")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try QuantizeFixture.succeed([
            "quantize", model, folder + "/out", "--json", folder + "/report.json", "--quiet",
        ])
        #expect(run.stdout.contains("worst tensors (lowest SQNR):"))
        #expect(run.stdout.contains("model.layers.1.mlp.experts.7.down_proj.weight"))
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/report.json"))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let tensors = json["tensors"] as! [[String: Any]]
        #expect(tensors.count == 53)
        #expect(tensors.filter { $0["statistics"] is [String: Any] }.count == 40)
        #expect((json["worst"] as! [String]).count == 5)
        #expect(json["merged"] as? Bool == true)
    }

    @Test(
        "refusals exit 2, name the problem and write nothing",
        arguments: [
            (["--include", "*.expert.*"], "matches no tensor of the input"),
            (["--exclude", "[a-"], "cannot be used"),
        ])
    func refusals(extra: [String], message: String) throws {
        let folder = try QuantizeFixture.scratch("refuse")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try BinaryRun.blockcast(["quantize", model, folder + "/out"] + extra)
        #expect(run.status == 2, "\(run)")
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/out"))
    }

    @Test("refuses FP8 input (suggesting dequantize), output inside input, existing output")
    func inputAndOutputRefusals() throws {
        let folder = try QuantizeFixture.scratch("refuse2")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try QuantizeFixture.succeed(["quantize", model, folder + "/fp8", "--quiet"])

        let twice = try BinaryRun.blockcast(["quantize", folder + "/fp8", folder + "/again"])
        #expect(twice.status == 2 && twice.stderr.contains("blockcast dequantize"), "\(twice)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/again"))

        let inside = try BinaryRun.blockcast(["quantize", model, model + "/fp8"])
        #expect(inside.status == 2 && inside.stderr.contains("inside the input"), "\(inside)")
        #expect(!FileManager.default.fileExists(atPath: model + "/fp8"))

        let before = QuantizeFixture.visibleFiles(folder + "/fp8")
        let existing = try BinaryRun.blockcast(["quantize", model, folder + "/fp8"])
        #expect(existing.status == 2 && existing.stderr.contains("--force"), "\(existing)")
        #expect(QuantizeFixture.visibleFiles(folder + "/fp8") == before)
        try QuantizeFixture.succeed(["quantize", model, folder + "/fp8", "--force", "--quiet"])
        #expect(QuantizeFixture.visibleFiles(folder + "/fp8") == before)
    }

    @Test("a NaN weight is refused with its tensor and index unless --allow-nonfinite")
    func nonFinite() throws {
        let folder = try QuantizeFixture.scratch("nan")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let script = """
            import sys, numpy as np
            from safetensors.numpy import save_file
            w = np.ones((4, 256), np.float32)
            w[2, 7] = np.nan
            save_file({'model.layers.0.mlp.up_proj.weight': w,
                       'model.layers.0.mlp.down_proj.weight': np.ones((256, 4), np.float32)},
                      sys.argv[1])
            """
        _ = try Python.run(script: script, arguments: [folder + "/bad.safetensors"])
        let run = try BinaryRun.blockcast([
            "quantize", folder + "/bad.safetensors", folder + "/out",
        ])
        #expect(run.status == 2, "\(run)")
        #expect(run.stderr.contains("model.layers.0.mlp.up_proj.weight"), "\(run.stderr)")
        #expect(run.stderr.contains("element 519"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/out"))

        try QuantizeFixture.succeed([
            "quantize", folder + "/bad.safetensors", folder + "/out", "--allow-nonfinite",
            "--quiet",
        ])
    }
}
