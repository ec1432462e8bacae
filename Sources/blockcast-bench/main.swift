import BlockcastFormats
import BlockcastPipelines
import Foundation

// blockcast-bench [--threads N] [suite…]: runs the named suites (default: all) and prints one
// `name  value unit` line per figure, for tools/bench and the README.

/// Every suite by name, in the order `all` runs them.
let suites: [(name: String, run: () -> Void)] = [
    ("formats", FormatsBench.run),
    ("model", ModelBench.run),
    ("quantize", QuantizeBench.run),
    ("containers", ContainersBench.run),
    ("reshard", ReshardBench.run),
]

var requested: [String] = []
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    if argument == "--threads", let value = arguments.popFirst().flatMap({ Int($0) }), value > 0 {
        Parallelism.threadCount = value
    } else if argument == "--help" || argument.hasPrefix("-") {
        let names = suites.map(\.name).joined(separator: " | ")
        print("usage: blockcast-bench [--threads N] [all | \(names)]…")
        exit(argument == "--help" ? 0 : 64)
    } else {
        requested.append(argument)
    }
}
if requested.isEmpty || requested.contains("all") { requested = suites.map(\.name) }

print("blockcast-bench \(BuildInfo.version)")
for name in requested {
    guard let suite = suites.first(where: { $0.name == name }) else {
        print("blockcast-bench: unknown suite '\(name)'; known: \(suites.map(\.name))")
        exit(64)
    }
    suite.run()
}
