import BlockcastFormats
import Foundation

/// Times closures and prints one fixed-format line per result: `name  value unit`.
///
/// Each measurement runs the closure once to warm caches and page in buffers, then
/// `repetitions` times, and reports the median, which shrugs off a stray slow run on a shared
/// machine better than the mean.
enum Bench {
    /// The `.venv` interpreter and `tools/baselines/<script>` of the checkout this binary was
    /// built from, or nil, with a note naming `suite`, when either is missing.
    static func pythonBaseline(_ script: String, suite: String) -> (python: String, script: String)?
    {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let python = root.appendingPathComponent(".venv/bin/python").path
        let path = root.appendingPathComponent("tools/baselines/\(script)").path
        guard FileManager.default.isExecutableFile(atPath: python),
            FileManager.default.fileExists(atPath: path)
        else {
            print("# \(suite): no .venv, Python baseline skipped")
            return nil
        }
        return (python, path)
    }

    /// Width of the name column.
    static let nameWidth = 44

    /// Times `body` and prints its throughput over `bytes` in GB/s (10^9 bytes per second);
    /// returns that throughput.
    @discardableResult
    static func measure(
        name: String, bytes: Int, repetitions: Int = 5, _ body: () -> Void
    ) -> Double {
        let seconds = medianSeconds(repetitions: repetitions, body)
        let throughput = Double(bytes) / seconds / 1e9
        report(name: name, value: throughput, unit: "GB/s")
        return throughput
    }

    /// The median wall time of `repetitions` runs of `body`, after one warm-up run.
    static func medianSeconds(repetitions: Int, _ body: () -> Void) -> Double {
        body()
        var times: [Double] = []
        for _ in 0..<max(1, repetitions) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        return times[times.count / 2]
    }

    /// Prints `name  value unit` with the name padded and the value to two decimals.
    static func report(name: String, value: Double, unit: String) {
        let padded = name.padding(toLength: max(nameWidth, name.count), withPad: " ", startingAt: 0)
        print("\(padded)  \(String(format: "%10.2f", value)) \(unit)")
    }

    /// Runs `body` with ``Parallelism/threadCount`` set to `threads`, restoring it after.
    static func withThreads<T>(_ threads: Int, _ body: () -> T) -> T {
        let saved = Parallelism.threadCount
        Parallelism.threadCount = threads
        defer { Parallelism.threadCount = saved }
        return body()
    }
}
