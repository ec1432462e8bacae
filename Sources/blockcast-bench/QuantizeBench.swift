import BlockcastContainers
import BlockcastFormats
import BlockcastPipelines
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `quantize` end to end on the `small` synthetic model (HDF5 float32 in, safetensors FP8
/// out) against tools/baselines/quantize_checkpoint.py (h5py + numpy + ml_dtypes +
/// safetensors, the same maths and statistics), each in a child process so that its peak
/// resident memory (`ru_maxrss` from `wait4`) is its own.
///
/// Figures: GB/s of input tensor bytes (wall time of the child, page cache warm), peak RSS in
/// MB, and the two targets: ours/baseline ≥ 5×, and our peak ≤ 2 × the largest tensor +
/// 200 MB. The child is this executable again, told by an environment variable to run the
/// pipeline and exit.
enum QuantizeBench {
    /// Set in a child's environment to `synth|output` or `quantize|input|output`: do that
    /// one job and exit.
    static let childVariable = "BLOCKCAST_BENCH_QUANTIZE_CHILD"

    static func run() {
        if let job = ProcessInfo.processInfo.environment[childVariable] {
            exit(child(job))
        }

        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("blockcast-bench-quantize-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = directory + "/small"

        // The model is written by a child too: with posix_spawn the child shares this
        // process's memory until exec, and Linux counts that in the child's peak, so this
        // process must stay small.
        var synth = SynthOptions(output: input)
        synth.preset = .small
        guard let plan = try? SynthPipeline(options: synth).plan(),
            spawn(
                CommandLine.arguments[0], ["quantize"],
                environment: [childVariable: "synth|" + input])
                != nil
        else {
            print("# quantize: could not synthesize the small model")
            return
        }
        let largest = plan.tensors.map(\.byteCount).max() ?? 0
        print(
            "# quantize: small model, \(plan.tensors.count) float32 tensors, "
                + "\(plan.bytes >> 20) MiB (largest \(largest >> 20) MiB), "
                + "HDF5 -> safetensors FP8, "
                + "threads=\(Parallelism.threadCount)")

        // Ours: the first run pages the input in; the median of three is reported.
        var ours: [Measurement] = []
        for attempt in 0..<4 {
            let output = directory + "/ours-\(attempt)"
            guard
                let measured = spawn(
                    CommandLine.arguments[0], ["quantize"],
                    environment: [childVariable: "quantize|" + input + "|" + output])
            else { return }
            if attempt > 0 { ours.append(measured) }
            try? FileManager.default.removeItem(atPath: output)
        }
        ours.sort { $0.seconds < $1.seconds }
        let mine = ours[ours.count / 2]
        let mineRate = Double(plan.bytes) / mine.seconds / 1e9
        Bench.report(name: "quantize small ours", value: mineRate, unit: "GB/s")
        Bench.report(name: "quantize small ours peak RSS", value: mine.peakMB, unit: "MB")
        let budget = 2 * Double(largest) / 1e6 + 200
        Bench.report(name: "quantize small ours RSS budget (2x+200)", value: budget, unit: "MB")

        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let python = root.appendingPathComponent(".venv/bin/python").path
        let script = root.appendingPathComponent("tools/baselines/quantize_checkpoint.py").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            print("# quantize: no .venv, Python baseline skipped")
            return
        }
        guard
            let theirs = spawn(python, [script, input + "/model.h5", directory + "/baseline"])
        else { return }
        let theirRate = Double(plan.bytes) / theirs.seconds / 1e9
        Bench.report(name: "quantize small baseline (python)", value: theirRate, unit: "GB/s")
        Bench.report(name: "quantize small baseline peak RSS", value: theirs.peakMB, unit: "MB")
        Bench.report(name: "quantize small ours/baseline", value: mineRate / theirRate, unit: "x")
        Bench.report(
            name: "quantize small peak RSS ours/baseline", value: mine.peakMB / theirs.peakMB,
            unit: "x")
    }

    /// Wall time and peak resident memory of one child.
    struct Measurement {
        var seconds: Double
        var peakMB: Double
    }

    /// Runs `path` with `arguments` (stdout to /dev/null), waiting with `wait4` for its
    /// resource usage; nil, with a note, when it cannot start or fails.
    static func spawn(
        _ path: String, _ arguments: [String], environment: [String: String] = [:]
    ) -> Measurement? {
        var variables = ProcessInfo.processInfo.environment
        for (key, value) in environment { variables[key] = value }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)

        let start = DispatchTime.now().uptimeNanoseconds
        var pid: pid_t = 0
        guard posix_spawn(&pid, path, &actions, nil, argv, envp) == 0 else {
            print("# quantize: could not start \(path)")
            return nil
        }
        var status: Int32 = 0
        var usage = rusage()
        wait4(pid, &status, 0, &usage)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard status == 0 else {
            print("# quantize: \(path) \(arguments.joined(separator: " ")) failed (\(status))")
            return nil
        }
        // ru_maxrss is in KiB on Linux.
        return Measurement(seconds: seconds, peakMB: Double(usage.ru_maxrss) * 1024 / 1e6)
    }

    /// The child's work: synthesize `small`, or quantize it with the default options.
    private static func child(_ job: String) -> Int32 {
        // As the blockcast command does for the commands that stream tensors.
        MemoryPolicy.returnLargeBlocksToTheSystem()
        let fields = job.split(separator: "|").map(String.init)
        do {
            switch (fields.first, fields.count) {
            case ("synth", 2):
                var options = SynthOptions(output: fields[1])
                options.preset = .small
                let pipeline = SynthPipeline(options: options)
                try pipeline.run(try pipeline.plan())
            case ("quantize", 3):
                var options = QuantizeOptions(input: fields[1], output: fields[2])
                options.format = .safetensors
                let pipeline = QuantizePipeline(options: options)
                _ = try pipeline.run(try pipeline.prepare())
            default:
                return 64
            }
            return 0
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            return 2
        }
    }
}
