import BlockcastContainers
import BlockcastFormats
import BlockcastPipelines
import Testing

@Suite("QuantizePlan")
struct QuantizePlanTests {
    private static let tensors: [TensorInfo] = [
        TensorInfo(name: "lm_head.weight", dtype: .float32, shape: [512, 256], file: "m.h5"),
        TensorInfo(
            name: "model.layers.10.self_attn.o_proj.weight", dtype: .float32, shape: [256, 130],
            file: "m.h5"),
        TensorInfo(
            name: "model.layers.2.self_attn.o_proj.weight", dtype: .float32, shape: [256, 130],
            file: "m.h5"),
        TensorInfo(
            name: "model.layers.2.input_layernorm.weight", dtype: .float16, shape: [256],
            file: "m.h5"),
        TensorInfo(
            name: "model.embed_tokens.weight", dtype: .float32, shape: [512, 256], file: "m.h5"),
    ]

    @Test("groups by layer, orders numbers as numbers, names scales and files")
    func layout() {
        let plan = QuantizePlan(
            tensors: Self.tensors, policy: TensorPolicy(), scaleFormat: .float32,
            scaleStorage: .float32, format: .safetensors)
        #expect(
            plan.entries.map(\.name) == [
                "lm_head.weight", "model.embed_tokens.weight",
                "model.layers.2.input_layernorm.weight",
                "model.layers.2.self_attn.o_proj.weight",
                "model.layers.10.self_attn.o_proj.weight",
            ])
        #expect(
            plan.files.map(\.name) == [
                "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors",
            ])
        #expect(plan.files.map(\.entries) == [[0, 1], [2, 3], [4]])

        let projection = plan.entries[3]
        #expect(projection.outputDType == .float8E4M3FN)
        #expect(projection.scale?.name == "model.layers.2.self_attn.o_proj.weight_scale_inv")
        #expect(projection.scale?.shape == [2, 2])
        #expect(projection.outputBytes == 256 * 130 + 4 * 4)
        #expect(plan.entries[2].outputDType == .bfloat16)
        #expect(plan.inputBytes == 2 * 512 * 256 * 4 + 2 * 256 * 130 * 4 + 256 * 2)
    }

    @Test("a size limit splits a layer; one file is named model.<ext>")
    func splitting() {
        let split = QuantizePlan(
            tensors: Self.tensors, policy: TensorPolicy(), scaleFormat: .float32,
            scaleStorage: .float8E8M0, format: .hdf5, maxFileBytes: 300_000)
        #expect(split.files.map(\.entries) == [[0], [1], [2, 3], [4]])
        #expect(split.entries[3].scale?.dtype == .float8E8M0)

        let single = QuantizePlan(
            tensors: [Self.tensors[0]], policy: TensorPolicy(), scaleFormat: .float32,
            scaleStorage: .float32, format: .hdf5)
        #expect(single.files.map(\.name) == ["model.h5"])
    }
}
