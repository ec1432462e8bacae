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
            ChildProcess.spawn(
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
        var ours: [ChildProcess.Measurement] = []
        for attempt in 0..<4 {
            let output = directory + "/ours-\(attempt)"
            guard
                let measured = ChildProcess.spawn(
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

        guard
            let (python, script) = Bench.pythonBaseline("quantize_checkpoint.py", suite: "quantize")
        else { return }
        guard
            let theirs = ChildProcess.spawn(
                python, [script, input + "/model.h5", directory + "/baseline"])
        else { return }
        let theirRate = Double(plan.bytes) / theirs.seconds / 1e9
        Bench.report(name: "quantize small baseline (python)", value: theirRate, unit: "GB/s")
        Bench.report(name: "quantize small baseline peak RSS", value: theirs.peakMB, unit: "MB")
        Bench.report(name: "quantize small ours/baseline", value: mineRate / theirRate, unit: "x")
        Bench.report(
            name: "quantize small peak RSS ours/baseline", value: mine.peakMB / theirs.peakMB,
            unit: "x")
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
