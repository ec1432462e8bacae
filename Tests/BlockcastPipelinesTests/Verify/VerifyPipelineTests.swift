import BlockcastPipelines
import BlockcastTestSupport
import Foundation
import Testing

/// The pipeline on the golden tiny-a case: logits the public PyTorch reference computed.
@Suite struct VerifyPipelineTests {
    private let golden = TestPaths.golden.appendingPathComponent("tiny-a")

    private func options(_ checkpoint: String, reference tensor: String) -> VerifyOptions {
        var options = VerifyOptions()
        options.checkpoint = golden.appendingPathComponent(checkpoint).path
        options.referenceLogits = golden.appendingPathComponent("logits.safetensors").path
        options.referenceTensor = tensor
        options.tokens = .file(golden.appendingPathComponent("tokens.json").path)
        options.gates = [Gate(.logitsRelRMS, .atMost, 1e-4), Gate(.top1, .equal, 1)]
        return options
    }

    /// Our fp32 forward pass against PyTorch's, through verify's own comparison.
    @Test func fp32MatchesThePyTorchReferenceLogits() throws {
        let report = try VerifyPipeline(options: options("model.safetensors", reference: "fp32"))
            .run()
        #expect(report.passed, "\(report.table())")
        let candidate = try #require(report.candidates.first)
        #expect(candidate.name == "fp32")
        #expect(candidate.metrics.positions == 48)
        #expect(candidate.metrics[.klMean]! < 1e-9)
        #expect(candidate.metrics[.routing] == nil, "a logits reference has no routing")
        #expect(candidate.gates.allSatisfy { $0.status == .passed })
    }

    @Test func fp8DequantMatchesThePyTorchReferenceLogits() throws {
        var options = options("expected-fp8.safetensors", reference: "fp8-dequant")
        options.paths = [.fp8Dequant]
        let report = try VerifyPipeline(options: options).run()
        #expect(report.passed, "\(report.table())")
        #expect(report.candidates.map(\.name) == ["fp8-dequant"])
    }

    /// The block-scaled product matches until an activation sits within ulps of an FP8
    /// rounding midpoint (the model's golden test names the one in this case); after that
    /// flip the sequence stays within FP8 noise. The argmax never moves.
    @Test func fp8GemmStaysWithinFP8NoiseOfThePyTorchReference() throws {
        var options = options("expected-fp8.safetensors", reference: "fp8-gemm")
        options.paths = [.fp8Gemm]
        options.gates = [Gate(.logitsRelRMS, .atMost, 0.02), Gate(.top1, .equal, 1)]
        let report = try VerifyPipeline(options: options).run()
        #expect(report.passed, "\(report.table())")
        #expect(report.candidates[0].metrics.klHistogram.counts[0] >= 24, "most positions exact")
    }

    @Test func theWrongReferenceTensorFailsAGateNotTheRun() throws {
        // fp32 logits against the FP8 reference differ by the quantization error (~8%).
        let report = try VerifyPipeline(
            options: options("model.safetensors", reference: "fp8-gemm")
        )
        .run()
        #expect(!report.passed)
        #expect(report.failedGates.first?.outcome.gate.metric == .logitsRelRMS)
    }

    @Test func aTraceGateWithALogitsReferenceIsRefused() {
        var options = options("model.safetensors", reference: "fp32")
        options.gates = [Gate(.routing, .atLeast, 0.9)]
        #expect {
            try VerifyPipeline(options: options).run()
        } throws: { error in
            (error as? VerifyError)?.code == .unmeasurableGate
        }
    }

    @Test func tokensThatDoNotMatchTheLogitsFileAreRefused() {
        var options = options("model.safetensors", reference: "fp32")
        options.tokens = .generated(sequences: 2, length: 20, seed: 1)
        #expect {
            try VerifyPipeline(options: options).run()
        } throws: { error in
            guard let error = error as? VerifyError else { return false }
            return error.code == .invalidReferenceLogits && error.message.contains("20")
        }
    }

    @Test func whatIfFP8OfTheGoldenModelIsCloseToTheGoldenFP8Logits() throws {
        // The what-if holds non-FP8 tensors in bfloat16 where the golden file kept float32,
        // so it is close to (about 0.5%), not identical with, the golden FP8 logits. The
        // dequantized path shows it; on fp8-gemm the bfloat16 shifts re-draw the activation
        // rounding and the difference is FP8 noise.
        var options = options("model.safetensors", reference: "fp8-dequant")
        options.whatIfs = [.fp8]
        options.paths = [.fp8Dequant]
        options.gates = [Gate(.logitsRelRMS, .atMost, 0.02), Gate(.top1, .atLeast, 0.95)]
        let report = try VerifyPipeline(options: options).run()
        #expect(report.passed, "\(report.table())")
    }
}

/// Rank files of an FP8 checkpoint, split on block boundaries.
@Suite struct VerifyShardedFP8Tests {
    /// They run on fp8-dequant by default, where they match their checkpoint unsharded to
    /// float32 summation order; fp8-gemm, whose activation rounding that order can flip, runs
    /// only when asked.
    @Test func fp8RankFilesRunOnFP8DequantUnlessAsked() throws {
        let (input, _) = try ReshardTestSupport.fixture(.fp8, alignedTo: 2)
        let (ranks, _, _) = try ReshardTestSupport.reshard(input.path) { $0.worldSize = 2 }
        var options = VerifyOptions()
        options.checkpoint = input.path
        options.candidates = [ranks]
        options.tokens = .generated(sequences: 2, length: 8, seed: 3)
        options.gates = [Gate(.logitsRelRMS, .atMost, 1e-5), Gate(.routing, .equal, 1)]
        let report = try VerifyPipeline(options: options).run()
        #expect(report.candidates.map(\.name) == ["sharded fp8-dequant ×2"])
        #expect(report.passed, "\(report.table())")

        options.paths = [.fp8Gemm]
        options.gates = [Gate(.top1, .atLeast, 0)]
        let gemm = try VerifyPipeline(options: options).run()
        #expect(gemm.candidates.map(\.name) == ["sharded fp8-gemm ×2"])
        #expect(gemm.candidates.first?.computePath == .fp8Gemm)
    }
}
