import BlockcastContainers
import Testing

/// Names the table must refuse, each with an error that quotes the tensor.
@Suite struct NamingErrorTests {
    @Test(arguments: [
        "model.layers.0.self_attn.rotary_emb.inv_freq",
        "model.layers.0.mlp.fc1.weight",
        "model.vision_tower.weight",
    ])
    func unknownHuggingFaceModulesNameTheTensor(_ tensor: String) {
        #expect {
            try TensorName(huggingFace: tensor)
        } throws: { error in
            guard let error = error as? NamingError else { return false }
            return error.code == .unknownModule && error.tensor == tensor
                && error.message.contains("'\(tensor)'")
        }
    }

    @Test(arguments: ["layers.0.attn.q_proj.weight", "layers.0.ffn.fc1.weight", "lm_head.weight"])
    func unknownInferenceModulesNameTheTensor(_ tensor: String) {
        #expect(throws: NamingError.self) { try TensorName(inference: tensor) }
        do {
            _ = try TensorName(inference: tensor)
        } catch {
            #expect(error.tensor == tensor)
            #expect(error.message.contains(tensor))
        }
    }

    @Test(arguments: ["weight", "", "model..norm.weight", "model.norm."])
    func malformedNamesAreRefused(_ tensor: String) {
        #expect {
            try TensorName(huggingFace: tensor)
        } throws: { error in
            (error as? NamingError)?.code == .malformedName
        }
    }

    @Test(arguments: [
        "model.layers.0.attn.q_proj.weight",
        "model.layers.0.mlp.q_proj.scale",
        "model.layers.3.mlp.gate.bias",
    ])
    func huggingFaceNamesInInferenceSpellingAreAmbiguous(_ tensor: String) {
        #expect {
            try TensorName(huggingFace: tensor)
        } throws: { error in
            (error as? NamingError)?.code == .ambiguous
        }
    }

    @Test(arguments: [
        "layers.0.self_attn.wq.weight", "layers.0.ffn.wq.weight_scale_inv",
        "layers.3.ffn.gate.e_score_correction_bias",
    ])
    func inferenceNamesInHuggingFaceSpellingAreAmbiguous(_ tensor: String) {
        #expect {
            try TensorName(inference: tensor)
        } throws: { error in
            (error as? NamingError)?.code == .ambiguous
        }
    }

    @Test(arguments: [
        "model.enorm.weight", "model.layers.2.lm_head.weight",
        "model.layers.2.self_attn.q_proj.e_score_correction_bias",
    ])
    func modulesOutsideTheirPlaceAreRefused(_ tensor: String) {
        #expect {
            try TensorName(huggingFace: tensor)
        } throws: { error in
            (error as? NamingError)?.code == .misplacedModule
        }
    }

    @Test func aPlainBiasOutsideTheRouterKeepsItsName() throws {
        let name = try TensorName(huggingFace: "model.layers.0.self_attn.q_proj.bias")
        #expect(name.inference == "layers.0.attn.wq.bias")
        #expect(try TensorName(inference: name.inference).huggingFace == name.huggingFace)
    }
}
