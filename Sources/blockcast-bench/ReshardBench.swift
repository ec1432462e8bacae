import BlockcastContainers
import BlockcastFormats
import BlockcastPipelines
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `reshard` of the `small` synthetic model in FP8 (safetensors) to 4 ranks against
/// tools/baselines/reshard_simple.py (load everything, slice with NumPy, save with the
/// safetensors package), each in a child process so its peak resident memory is its own.
///
/// At world size 4 the small model's dense MLP (2880 → 720 rows) and shared experts (384 →
/// 96) cut 128-blocks, so both sides re-quantize those weights per rank; everything else is
/// sliced or copied. Figures: MB/s of input tensor bytes (wall time, page cache warm; median
/// of three runs for ours), peak RSS, and the targets: ours/baseline ≥ 3× and our peak ≤ 2 ×
/// the largest tensor + 200 MB.
enum ReshardBench {
    /// Set in a child's environment to `prepare|dir` or `reshard|input|output`.
    static let childVariable = "BLOCKCAST_BENCH_RESHARD_CHILD"
    /// The world size benchmarked.
    static let worldSize = 4

    static func run() {
        if let job = ProcessInfo.processInfo.environment[childVariable] {
            exit(child(job))
        }

        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("blockcast-bench-reshard-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = directory + "/fp8"
        guard
            ChildProcess.spawn(
                CommandLine.arguments[0], ["reshard"],
                environment: [childVariable: "prepare|" + directory]) != nil,
            let checkpoint = try? Checkpoint.open(input)
        else {
            print("# reshard: could not prepare the small FP8 model")
            return
        }
        let bytes = checkpoint.tensors.reduce(0) { $0 + $1.byteCount }
        let largest = checkpoint.tensors.map(\.byteCount).max() ?? 0
        print(
            "# reshard: small model FP8, \(checkpoint.tensors.count) tensors, "
                + "\(bytes >> 20) MiB (largest \(largest >> 20) MiB), safetensors -> "
                + "\(worldSize) ranks, --requantize-misaligned, threads=\(Parallelism.threadCount)")

        var ours: [ChildProcess.Measurement] = []
        for attempt in 0..<4 {
            let output = directory + "/ours-\(attempt)"
            guard
                let measured = ChildProcess.spawn(
                    CommandLine.arguments[0], ["reshard"],
                    environment: [childVariable: "reshard|" + input + "|" + output])
            else { return }
            if attempt > 0 { ours.append(measured) }
            try? FileManager.default.removeItem(atPath: output)
        }
        ours.sort { $0.seconds < $1.seconds }
        let mine = ours[ours.count / 2]
        let mineRate = Double(bytes) / mine.seconds / 1e6
        Bench.report(name: "reshard small fp8 x4 ours", value: mineRate, unit: "MB/s")
        Bench.report(name: "reshard small fp8 x4 ours peak RSS", value: mine.peakMB, unit: "MB")
        let budget = 2 * Double(largest) / 1e6 + 200
        Bench.report(name: "reshard small fp8 x4 RSS budget (2x+200)", value: budget, unit: "MB")

        guard let (python, script) = Bench.pythonBaseline("reshard_simple.py", suite: "reshard")
        else { return }
        guard
            let theirs = ChildProcess.spawn(
                python, [script, input, directory + "/baseline", String(worldSize)])
        else { return }
        let theirRate = Double(bytes) / theirs.seconds / 1e6
        Bench.report(name: "reshard small fp8 x4 baseline (python)", value: theirRate, unit: "MB/s")
        Bench.report(
            name: "reshard small fp8 x4 baseline peak RSS", value: theirs.peakMB, unit: "MB")
        Bench.report(
            name: "reshard small fp8 x4 ours/baseline", value: mineRate / theirRate, unit: "x")
    }

    /// The child's work: make the FP8 model, or reshard it.
    private static func child(_ job: String) -> Int32 {
        // As the blockcast command does for the commands that stream tensors.
        MemoryPolicy.returnLargeBlocksToTheSystem()
        let fields = job.split(separator: "|").map(String.init)
        do {
            switch (fields.first, fields.count) {
            case ("prepare", 2):
                var synth = SynthOptions(output: fields[1] + "/small")
                synth.preset = .small
                let synthesizer = SynthPipeline(options: synth)
                try synthesizer.run(try synthesizer.plan())
                var options = QuantizeOptions(
                    input: fields[1] + "/small", output: fields[1] + "/fp8")
                options.format = .safetensors
                let quantizer = QuantizePipeline(options: options)
                _ = try quantizer.run(try quantizer.prepare())
            case ("reshard", 3):
                var options = ReshardOptions(worldSize: worldSize)
                options.requantizeMisaligned = true
                let source = try ReshardSource.open(fields[1])
                let plan = try ReshardPlan.make(input: source.input, options: options)
                _ = try ReshardPipeline.run(
                    source: source, plan: plan, output: fields[2], options: options)
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
