import BlockcastPipelines
import Testing

@Suite("NamePattern")
struct NamePatternTests {
    @Test(
        "matches whole names",
        arguments: [
            ("*.experts.*", "model.layers.3.mlp.experts.12.up_proj.weight", true),
            ("*.experts.*", "model.layers.3.mlp.shared_experts.up_proj.weight", false),
            ("*experts*", "model.layers.3.mlp.shared_experts.up_proj.weight", true),
            ("model.layers.?.self_attn.*", "model.layers.7.self_attn.o_proj.weight", true),
            ("model.layers.?.self_attn.*", "model.layers.17.self_attn.o_proj.weight", false),
            ("model.layers.[0-2].*", "model.layers.2.input_layernorm.weight", true),
            ("model.layers.[!0-2].*", "model.layers.2.input_layernorm.weight", false),
            ("model.layers.[!0-2].*", "model.layers.3.input_layernorm.weight", true),
            ("lm_head.weight", "lm_head.weight", true),
            ("lm_head", "lm_head.weight", false),
            ("*", "", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "axb", false),
            ("**.weight", "x.weight", true),
            ("*a*b*c", "xxaxxbxxc", true),
            ("*a*b*c", "xxaxxbxxcx", false),
        ])
    func matching(pattern: String, name: String, expected: Bool) throws {
        let parsed = try NamePattern(pattern)
        #expect(parsed.matches(name) == expected, "pattern \(pattern) on \(name)")
    }

    @Test("rejects malformed patterns", arguments: ["a[b", "x\\", "[]", "[z-a]"])
    func malformed(pattern: String) {
        #expect(throws: QuantizeError.self) { try NamePattern(pattern) }
    }
}
