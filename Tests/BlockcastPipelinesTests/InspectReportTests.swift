import BlockcastContainers
import BlockcastFormats
import BlockcastPipelines
import BlockcastTestSupport
import Foundation
import Testing

/// `inspect` on every kind of checkpoint: tensors, totals, config and scale coverage.
@Suite struct InspectReportTests {
    typealias Support = ReshardTestSupport

    private func fp8Weights(_ tensors: [String: Tensor]) -> Int {
        tensors.values.count { $0.dtype == .float8E4M3FN }
    }

    @Test func anFP8CheckpointIsFullyCovered() throws {
        let (input, tensors) = try Support.fixture(.fp8)
        let report = try InspectReport.make(path: input.path)
        #expect(report.format == .safetensors)
        #expect(report.files == ["model.safetensors"])
        #expect(report.worldSize == nil)
        #expect(Set(report.rows.map(\.name)) == Set(tensors.keys))
        #expect(report.totalBytes == tensors.values.reduce(0) { $0 + $1.byteCount })
        #expect(report.totals.reduce(0) { $0 + $1.count } == tensors.count)
        #expect(report.coverage.covered.count == fp8Weights(tensors))
        #expect(report.coverage.isComplete)
        #expect(report.config?.layerCount == 2)
        #expect(report.config?.routedExpertCount == 8)
        #expect(report.text.contains("Quantization: \(fp8Weights(tensors)) FP8 weight(s), "))
        #expect(report.text.contains("  every FP8 weight has its scale\n"))
    }

    @Test func aDirectoryWithAnIndexListsEveryFile() throws {
        let (input, tensors) = try Support.fixture(.fp8, files: 3)
        let report = try InspectReport.make(path: input.path)
        #expect(report.files.count == 3)
        #expect(report.rows.count == tensors.count)
        #expect(report.coverage.covered.count == fp8Weights(tensors))
        #expect(report.text.contains("  model-2-of-3.safetensors\n"))
    }

    @Test func rankFilesPairWeightsWithTheirScaleInEachRank() throws {
        let (input, _) = try Support.fixture(.fp8)
        let (ranks, _, plan) = try Support.reshard(input.path) {
            $0.worldSize = 2
            $0.requantizeMisaligned = true
        }
        let report = try InspectReport.make(path: ranks)
        #expect(report.worldSize == 2)
        let weights = plan.tensors.flatMap(\.pieces).filter { $0.dtype == .float8E4M3FN }
        #expect(report.coverage.covered.count == weights.count)
        #expect(report.coverage.covered.allSatisfy { $0.scale.hasSuffix(".scale") })
        #expect(report.coverage.isComplete)
    }

    @Test func missingOrphanedAndMisshapenScalesAreNamed() throws {
        let weight = Tensor(
            dtype: .float8E4M3FN, shape: [200, 130], bytes: [UInt8](repeating: 0x30, count: 26_000))
        let directory = try ContainerFixtures.temporaryDirectory()
        let path = directory.appendingPathComponent("model.safetensors").path
        try SafetensorsWriter.write(
            [
                ("model.layers.0.self_attn.o_proj.weight", weight),
                (
                    "model.layers.0.self_attn.o_proj.weight_scale_inv",
                    Tensor(floats: [1], shape: [1, 1])
                ),
                ("model.layers.0.mlp.up_proj.weight", weight),
                (
                    "model.layers.0.mlp.down_proj.weight_scale_inv",
                    Tensor(floats: [1], shape: [1, 1])
                ),
                ("model.layers.0.mlp.gate_proj.weight", weight),
                (
                    "model.layers.0.mlp.gate_proj.weight_scale_inv",
                    Tensor(floats: [1, 1, 1, 1], shape: [2, 2])
                ),
            ], to: path)
        let report = try InspectReport.make(path: path)
        let coverage = report.coverage
        #expect(coverage.covered.map(\.weight) == ["model.layers.0.mlp.gate_proj.weight"])
        #expect(
            coverage.wrongShape.map(\.scale) == ["model.layers.0.self_attn.o_proj.weight_scale_inv"]
        )
        #expect(coverage.wrongShape.first?.expected == [2, 2])
        #expect(coverage.missingScale.map(\.name) == ["model.layers.0.mlp.up_proj.weight"])
        #expect(
            coverage.orphanedScales.map(\.name) == ["model.layers.0.mlp.down_proj.weight_scale_inv"]
        )
        #expect(!coverage.isComplete)
        let text = report.text
        #expect(
            text.contains("Quantization: 3 FP8 weight(s), 1 with a block scale of the right shape"))
        #expect(
            text.contains(
                "  wrong scale shape: 'model.layers.0.self_attn.o_proj.weight_scale_inv' is [1, 1], "
                    + "weight 'model.layers.0.self_attn.o_proj.weight' needs [2, 2] (model.safetensors)"
            ))
        #expect(text.contains("  no scale: FP8 weight 'model.layers.0.mlp.up_proj.weight'"))
        #expect(
            text.contains(
                "  orphaned scale: 'model.layers.0.mlp.down_proj.weight_scale_inv' has no weight"))
        #expect(text.contains("  no config found"))
    }

    @Test func hdf5FilesAreListed() throws {
        let directory = try ContainerFixtures.temporaryDirectory()
        let path = directory.appendingPathComponent("model.h5").path
        let writer = try HDF5Writer(path: path)
        try writer.write("model.norm.weight", Tensor(floats: [1, 2, 3], shape: [3]))
        try writer.write(
            "lm_head.weight", Tensor(floats: [Float](repeating: 0.5, count: 12), shape: [4, 3]))
        try writer.finish()
        let report = try InspectReport.make(path: path)
        #expect(report.format == .hdf5)
        #expect(Set(report.rows.map(\.name)) == ["model.norm.weight", "lm_head.weight"])
        #expect(report.totals.map(\.dtype) == [.float32])
        #expect(report.totals.map(\.count) == [2] && report.totals.map(\.bytes) == [60])
        #expect(report.coverage.highPrecision.map(\.name) == ["lm_head.weight"])
    }

    @Test func theCheckNamesADamagedTensor() throws {
        let (input, _) = try Support.fixture(.float32)
        let (ranks, _, _) = try Support.reshard(input.path) { $0.worldSize = 2 }
        #expect(try InspectCheck.run(path: ranks) > 0)

        // Flip the last byte of rank 1 (inside its last tensor's data).
        let file = ranks + "/model1-mp2.safetensors"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        bytes[bytes.count - 1] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: file))
        let error = try #require(throws: InspectError.self) { try InspectCheck.run(path: ranks) }
        #expect(error.code == .damaged)
        #expect(error.details.count == 1)
        #expect(error.details[0].contains("in 'model1-mp2.safetensors' is damaged"))

        let noManifest = try #require(throws: InspectError.self) {
            try InspectCheck.run(path: input.path)
        }
        #expect(noManifest.code == .noManifest)
    }

    @Test func theJSONCarriesTheSameFacts() throws {
        let (input, tensors) = try Support.fixture(.fp8)
        let json = try InspectReport.make(path: input.path).json
        #expect(json["tensor_count"]?.intValue == tensors.count)
        #expect(json["coverage"]?["covered"]?.intValue == fp8Weights(tensors))
        #expect(json["coverage"]?["complete"]?.boolValue == true)
        #expect(json["config"]?["n_routed_experts"]?.intValue == 8)
        #expect(json["tensors"]?.arrayValue?.count == tensors.count)
    }
}
