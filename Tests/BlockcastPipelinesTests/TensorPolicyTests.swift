import BlockcastFormats
import BlockcastPipelines
import Testing

@Suite("TensorPolicy")
struct TensorPolicyTests {
    @Test(
        "default table",
        arguments: [
            ("model.layers.0.self_attn.q_proj.weight", TensorTarget.fp8),
            ("model.layers.0.self_attn.q_a_proj.weight", .fp8),
            ("model.layers.0.self_attn.q_b_proj.weight", .fp8),
            ("model.layers.0.self_attn.kv_a_proj_with_mqa.weight", .fp8),
            ("model.layers.0.self_attn.kv_b_proj.weight", .fp8),
            ("model.layers.0.self_attn.o_proj.weight", .fp8),
            ("model.layers.0.mlp.gate_proj.weight", .fp8),
            ("model.layers.1.mlp.experts.3.down_proj.weight", .fp8),
            ("model.layers.1.mlp.shared_experts.up_proj.weight", .fp8),
            ("model.layers.1.mlp.gate.weight", .bfloat16),
            ("model.embed_tokens.weight", .bfloat16),
            ("lm_head.weight", .bfloat16),
            ("model.layers.2.eh_proj.weight", .bfloat16),
        ])
    func defaults(name: String, expected: TensorTarget) {
        let policy = TensorPolicy()
        #expect(policy.target(name: name, dtype: .float32, shape: [256, 128]) == expected)
    }

    @Test("norms become bfloat16, the correction bias stays float32, integers are kept")
    func vectors() {
        let policy = TensorPolicy()
        #expect(
            policy.target(name: "model.norm.weight", dtype: .float32, shape: [8]) == .bfloat16)
        #expect(
            policy.target(
                name: "model.layers.1.mlp.gate.e_score_correction_bias", dtype: .bfloat16,
                shape: [8]) == .float32)
        #expect(policy.target(name: "ids", dtype: .int64, shape: [4, 4]) == .keep)
    }

    @Test("include adds 2-D tensors, exclude wins, 1-D never becomes FP8")
    func patterns() throws {
        let policy = TensorPolicy(
            include: [try NamePattern("lm_head.*"), try NamePattern("*norm.weight")],
            exclude: [try NamePattern("*.experts.*")])
        #expect(policy.target(name: "lm_head.weight", dtype: .float32, shape: [8, 8]) == .fp8)
        #expect(
            policy.target(name: "model.norm.weight", dtype: .float32, shape: [8]) == .bfloat16)
        #expect(
            policy.target(
                name: "model.layers.1.mlp.experts.0.up_proj.weight", dtype: .float32,
                shape: [8, 8]) == .bfloat16)
    }

    @Test("--to bf16 sends the FP8 set to bfloat16")
    func bf16Mode() {
        let policy = TensorPolicy(mode: .bf16)
        #expect(
            policy.target(
                name: "model.layers.0.self_attn.o_proj.weight", dtype: .float32, shape: [8, 8])
                == .bfloat16)
    }

    @Test("reports patterns that match nothing")
    func unmatched() throws {
        let policy = TensorPolicy(
            include: [try NamePattern("*.expert.*")], exclude: [try NamePattern("lm_head.*")])
        let unmatched = policy.unmatchedPatterns(in: ["lm_head.weight", "model.norm.weight"])
        #expect(unmatched.map(\.option) == ["--include"])
        #expect(unmatched.map(\.pattern) == ["*.expert.*"])
    }
}
