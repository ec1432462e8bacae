import BlockcastTestSupport
import Foundation
import Testing

/// `blockcast run` through the binary, and its file as `verify --reference-logits`.
@Suite struct RunCommandTests {
    private func output(_ name: String) -> String {
        VerifyFixtures.folder.appendingPathComponent("\(UUID().uuidString)-\(name)").path
    }

    @Test func writesTheLogitsOfEveryPositionAndVerifyReadsThemBack() throws {
        let logits = output("logits.safetensors")
        let run = try BinaryRun.blockcast([
            "run", VerifyFixtures.tiny, "--logits", logits, "--sequences", "2", "--length", "7",
            "--seed", "5", "--quiet",
        ])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout == "wrote \(logits): logits [2, 7, 512] on fp32\n")

        // The header says F32 [2, 7, 512] and I64 [2, 7].
        let data = try Data(contentsOf: URL(fileURLWithPath: logits))
        let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.1) << (8 * $1.0) }
        let header = try #require(
            try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length)))
                as? [String: Any])
        let entry = try #require(header["logits"] as? [String: Any])
        #expect(entry["dtype"] as? String == "F32")
        #expect(entry["shape"] as? [Int] == [2, 7, 512])
        #expect((header["tokens"] as? [String: Any])?["shape"] as? [Int] == [2, 7])

        // The same checkpoint against its own saved logits, tokens taken from the file.
        let verify = try BinaryRun.blockcast([
            "verify", VerifyFixtures.tiny, "--reference-logits", logits, "--gate",
            "logits.max_abs == 0", "--quiet",
        ])
        #expect(verify.status == 0, "\(verify)")
        #expect(verify.stdout.contains("2 sequences, 14 positions"), "\(verify)")

        // Rank files are compared with the unsharded checkpoint, which is missing here.
        let sharded = try BinaryRun.blockcast([
            "verify", "--candidate", VerifyFixtures.tinyRanks, "--reference-logits", logits,
            "--gate", "logits.rel_rms <= 1e-5", "--quiet",
        ])
        #expect(sharded.status == 2, "\(sharded)")
        #expect(sharded.stderr.contains("compared with the unsharded checkpoint"), "\(sharded)")
    }

    /// FP8 arithmetic on float weights would be float32 products under an FP8 label: refused,
    /// naming the way out; with --what-if fp8 it runs, and its logits are not the fp32 ones.
    @Test func fp8PathsNeedFP8Weights() throws {
        let refused = output("refused.safetensors")
        let run = try BinaryRun.blockcast([
            "run", VerifyFixtures.tiny, "--logits", refused, "--path", "fp8-gemm",
            "--sequences", "1", "--length", "6",
        ])
        #expect(run.status == 2, "\(run)")
        #expect(run.stderr.contains("holds full weights"), "\(run)")
        #expect(run.stderr.contains("--what-if fp8"), "\(run)")
        #expect(!FileManager.default.fileExists(atPath: refused))

        let logits = output("what-if.safetensors")
        let whatIf = try BinaryRun.blockcast([
            "run", VerifyFixtures.tiny, "--logits", logits, "--path", "fp8-gemm", "--what-if",
            "fp8", "--sequences", "1", "--length", "6", "--quiet",
        ])
        #expect(whatIf.status == 0, "\(whatIf)")
        #expect(whatIf.stdout.hasSuffix("on fp8-gemm\n"), "\(whatIf)")
        let verify = try BinaryRun.blockcast([
            "verify", VerifyFixtures.tiny, "--reference-logits", logits, "--gate",
            "logits.rel_rms >= 0.01", "--quiet",
        ])
        #expect(verify.status == 0, "the fp8-gemm logits equal the fp32 ones: \(verify)")
    }

    /// Rank files run sharded in process, and their logits match the unsharded model's.
    @Test func rankFilesRunSharded() throws {
        let logits = output("ranks.safetensors")
        let run = try BinaryRun.blockcast([
            "run", VerifyFixtures.tinyRanks, "--logits", logits, "--sequences", "2", "--length",
            "9", "--quiet",
        ])
        #expect(run.status == 0, "\(run)")
        let verify = try BinaryRun.blockcast([
            "verify", VerifyFixtures.tiny, "--reference-logits", logits, "--gate",
            "logits.rel_rms <= 1e-5", "--gate", "top1 == 1", "--quiet",
        ])
        #expect(verify.status == 0, "\(verify)")
    }

    @Test func sequencesOfDifferentLengthsAreRefused() throws {
        let tokens = output("ragged.txt")
        try "1 2 3\n4 5\n".write(toFile: tokens, atomically: true, encoding: .utf8)
        let run = try BinaryRun.blockcast([
            "run", VerifyFixtures.tiny, "--tokens", tokens, "--logits", output("x.safetensors"),
        ])
        #expect(run.status == 2, "\(run)")
        #expect(run.stderr.contains("every sequence must have the same length"), "\(run)")
    }

    @Test func verifyRefusesLogitsOfOtherTokens() throws {
        let logits = output("short.safetensors")
        let run = try BinaryRun.blockcast([
            "run", VerifyFixtures.tiny, "--logits", logits, "--sequences", "1", "--length", "5",
            "--quiet",
        ])
        #expect(run.status == 0, "\(run)")

        let verify = try BinaryRun.blockcast([
            "verify", VerifyFixtures.tiny, "--reference-logits", logits, "--sequences", "1",
            "--length", "6",
        ])
        #expect(verify.status == 2, "\(verify)")
        #expect(verify.stderr.contains("hold 1 sequences of 5 positions"), "\(verify)")
    }
}
