import BlockcastTestSupport
import Foundation
import Testing

@Suite("blockcast synth")
struct SynthCommandTests {
    @Test("the same seed gives the same bytes whatever --threads; another seed differs")
    func deterministic() throws {
        let folder = try QuantizeFixture.scratch("synth")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (name, threads, seed) in [("a", "1", "1"), ("b", "2", "1"), ("c", "2", "2")] {
            try QuantizeFixture.succeed([
                "synth", folder + "/" + name, "--preset", "tiny", "--seed", seed, "--threads",
                threads, "--quiet",
            ])
        }
        let a = QuantizeFixture.visibleFiles(folder + "/a")
        #expect(a == QuantizeFixture.visibleFiles(folder + "/b"))
        #expect(a["model.h5"] != QuantizeFixture.visibleFiles(folder + "/c")["model.h5"])
        #expect(
            a == QuantizeFixture.visibleFiles(QuantizeFixture.tinyModel),
            "the fixture (seed 1) should equal a fresh run")
    }

    @Test("safetensors output with the MTP layer loads in Python with every tensor")
    func safetensorsWithMTP() throws {
        let folder = try QuantizeFixture.scratch("synth-st")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try QuantizeFixture.succeed([
            "synth", folder + "/m", "--preset", "tiny", "--format", "safetensors", "--dtype",
            "bfloat16", "--mtp", "--q-lora-rank", "0", "--quiet",
        ])
        let script = """
            import sys, json, glob
            from safetensors import safe_open
            names = {}
            for f in glob.glob(sys.argv[1] + '/*.safetensors'):
                with safe_open(f, 'numpy') as s:
                    for k in s.keys(): names[k] = s.get_slice(k).get_dtype()
            config = json.load(open(sys.argv[1] + '/config.json'))
            assert config['num_nextn_predict_layers'] == 1 and config['q_lora_rank'] is None
            assert config['hidden_size'] == 256 and config['topk_method'] == 'noaux_tc'
            for required in ['model.layers.2.eh_proj.weight', 'model.layers.2.enorm.weight',
                             'model.layers.1.self_attn.q_proj.weight',
                             'model.layers.1.mlp.gate.e_score_correction_bias',
                             'model.layers.1.mlp.shared_experts.down_proj.weight', 'lm_head.weight']:
                assert required in names, required
            assert names['model.layers.1.mlp.gate.e_score_correction_bias'] == 'F32'
            assert names['lm_head.weight'] == 'BF16'
            print(len(names))
            """
        let output = try Python.run(script: script, arguments: [folder + "/m"])
        #expect(Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 > 80)
    }

    @Test("published shapes plan with --dry-run and are refused otherwise")
    func publishedShapes() throws {
        let plan = try QuantizeFixture.succeed(["synth", "--preset", "671b", "--dry-run"])
        #expect(plan.stdout.contains("model.layers.60.mlp.experts.255.down_proj.weight"))
        #expect(plan.stdout.contains("parameters"))
        let folder = try QuantizeFixture.scratch("synth-671")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let refused = try BinaryRun.blockcast(["synth", folder + "/big", "--preset", "671b"])
        #expect(refused.status == 2 && refused.stderr.contains("--dry-run"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/big"))
    }

    @Test("an existing output is refused without --force")
    func existingOutput() throws {
        let refused = try BinaryRun.blockcast([
            "synth", QuantizeFixture.tinyModel, "--preset", "tiny",
        ])
        #expect(refused.status == 2 && refused.stderr.contains("--force"), "\(refused)")
    }
}
