import BlockcastContainers
import BlockcastFormats
import BlockcastPipelines
import BlockcastTestSupport
import Foundation

/// Shared steps of the reshard tests: fixtures on disk, running a reshard, and an
/// independent reference for what each rank must hold.
enum ReshardTestSupport {
    /// A fresh fixture checkpoint of the small model in `precision`.
    static func fixture(
        _ precision: ReshardFixtures.Precision, experts: Int = 8, alignedTo: Int = 0,
        files: Int = 1
    ) throws -> (directory: URL, tensors: [String: Tensor]) {
        let directory = try ContainerFixtures.temporaryDirectory().appendingPathComponent("in")
        let model = ReshardFixtures.model(experts: experts, alignedTo: alignedTo)
        let tensors = try ReshardFixtures.write(
            tensors: model.tensors, precision: precision, directory: directory,
            config: model.config, files: files)
        return (directory, tensors)
    }

    /// Plans and runs a reshard of `input` into a fresh directory (or `output`).
    @discardableResult
    static func reshard(
        _ input: String, into output: String? = nil, configure: (inout ReshardOptions) -> Void
    ) throws -> (output: String, report: ReshardReport, plan: ReshardPlan) {
        let target =
            try output
            ?? ContainerFixtures.temporaryDirectory().appendingPathComponent(
                "out"
            ).path
        let source = try ReshardSource.open(input)
        var options = ReshardOptions(worldSize: 1)
        configure(&options)
        let plan = try ReshardPlan.make(input: source.input, options: options)
        let report = try ReshardPipeline.run(
            source: source, plan: plan, output: target, options: options)
        return (target, report, plan)
    }

    /// Rows or columns `r·size/n ..< (r+1)·size/n` of a 2-D tensor, or along dim 0 of a 1-D
    /// one, computed element by element (independently of the pipeline's slicing code).
    static func slice(_ tensor: Tensor, dimension: Int, rank: Int, of worldSize: Int) -> [UInt8] {
        let bytes = tensor.bytes
        let width = tensor.dtype.byteWidth
        let rows = tensor.shape[0]
        let columns = tensor.shape.count > 1 ? tensor.shape[1] : 1
        var out: [UInt8] = []
        if dimension == 0 {
            let size = rows / worldSize
            for row in (rank * size)..<((rank + 1) * size) {
                out += bytes[(row * columns * width)..<((row + 1) * columns * width)]
            }
        } else {
            let size = columns / worldSize
            for row in 0..<rows {
                for column in (rank * size)..<((rank + 1) * size) {
                    let start = (row * columns + column) * width
                    out += bytes[start..<(start + width)]
                }
            }
        }
        return out
    }

    /// The file names a reshard to `worldSize` ranks writes.
    static func rankFiles(_ worldSize: Int) -> [String] {
        (0..<worldSize).map { "model\($0)-mp\(worldSize).safetensors" }
    }

    /// The names of regular files in `directory`, sorted.
    static func listing(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }
}
