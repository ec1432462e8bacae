import BlockcastTestSupport
import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// `blockcast verify` through the binary: the exit status tells a held gate, a failed gate
/// and a run that could not be made apart.
@Suite struct VerifyCommandTests {
    private func output(_ name: String) -> String {
        VerifyFixtures.folder.appendingPathComponent("\(UUID().uuidString)-\(name)").path
    }

    @Test func whatIfFP8OfTinyPassesTheDefaultGates() throws {
        let json = output("report.json")
        let junit = output("report.xml")
        let html = output("report.html")
        let run = try BinaryRun.blockcast([
            "verify", VerifyFixtures.tiny, "--what-if", "fp8", "--json", json, "--junit", junit,
            "--html", html,
        ])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("result: PASS"))
        #expect(run.stderr.contains("note: gates: the built-in synth-tiny.json"))

        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json)))
                as? [String: Any])
        #expect(report["passed"] as? Bool == true)
        let names = (report["candidates"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(names == ["fp8-dequant", "fp8-gemm"])

        let document = try XMLDocument(contentsOf: URL(fileURLWithPath: junit), options: [])
        #expect(document.rootElement()?.attribute(forName: "failures")?.stringValue == "0")
        #expect(try String(contentsOfFile: html, encoding: .utf8).contains("<svg"))
    }

    /// `--bf16-activations` rounds the hidden state between blocks on the bf16 path only: the
    /// bf16 candidate's numbers change, an fp8 one's do not.
    @Test func bfloat16ActivationsApplyToTheBF16PathOnly() throws {
        func metrics(_ arguments: [String]) throws -> [String: Double] {
            let json = output("report.json")
            let run = try BinaryRun.blockcast(
                ["verify", VerifyFixtures.tiny, "--json", json, "--quiet"] + arguments)
            #expect(run.status == 0, "\(run)")
            let report = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
            let candidate = try #require((report["candidates"] as? [[String: Any]])?.first)
            let metrics = try #require(candidate["metrics"] as? [String: Any])
            return try #require(metrics["values"] as? [String: Double])
        }
        let bf16 = ["--what-if", "bf16"]
        #expect(try metrics(bf16) != metrics(bf16 + ["--bf16-activations"]))
        let fp8 = ["--what-if", "fp8", "--path", "fp8-dequant"]
        #expect(try metrics(fp8) == metrics(fp8 + ["--bf16-activations"]))
    }

    @Test func aCandidateWithAnExpertsScalesDoubledFailsNamingTheGate() throws {
        let junit = output("damaged.xml")
        let run = try BinaryRun.blockcast([
            "verify", VerifyFixtures.tiny, "--candidate", VerifyFixtures.tinyFP8DamagedExpert,
            "--junit", junit, "--quiet",
        ])
        #expect(run.status == 1, "\(run)")
        #expect(run.stdout.contains("result: FAIL"))
        #expect(run.stdout.contains("fp8-gemm: kl.mean = "), "\(run)")
        #expect(run.stdout.contains("fails kl.mean <= 0.025"), "\(run)")

        let document = try XMLDocument(contentsOf: URL(fileURLWithPath: junit), options: [])
        let failures = try document.nodes(forXPath: "//testcase/failure")
        #expect(!failures.isEmpty)
    }

    @Test func theUndamagedConversionPasses() throws {
        let run = try BinaryRun.blockcast([
            "verify", VerifyFixtures.tiny, "--candidate", VerifyFixtures.tinyFP8, "--quiet",
        ])
        #expect(run.status == 0, "\(run)")
    }

    @Test func rankFilesMatchTheUnshardedModel() throws {
        let run = try BinaryRun.blockcast([
            "verify", VerifyFixtures.tiny, "--candidate", VerifyFixtures.tinyRanks, "--quiet",
        ])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("pass  sharded fp32 ×2  routing == 1"), "\(run)")
    }

    @Test func aCheckpointMissingATensorExitsWithStatus2() throws {
        let run = try BinaryRun.blockcast([
            "verify", VerifyFixtures.tiny, "--candidate", VerifyFixtures.tinyMissingTensor,
            "--quiet",
        ])
        #expect(run.status == 2, "\(run)")
        #expect(run.stderr.contains(VerifyFixtures.missingTensor), "\(run)")
        #expect(run.stdout.isEmpty)
    }

    @Test func aGateFlagThatFailsExitsWithStatus1() throws {
        let run = try BinaryRun.blockcast([
            "verify", VerifyFixtures.tiny, "--what-if", "bf16", "--gate", "logits.rel_rms<=1e-9",
            "--quiet",
        ])
        #expect(run.status == 1, "\(run)")
        #expect(run.stdout.contains("bf16: logits.rel_rms = "))
        #expect(run.stdout.contains("fails logits.rel_rms <= 1e-09"))
    }

    struct RefusedCase: CustomStringConvertible, Sendable {
        var arguments: [String]
        var status: Int32
        var message: String
        var description: String { arguments.joined(separator: " ") }
    }

    static let refused: [RefusedCase] = [
        RefusedCase(
            arguments: ["--what-if", "fp8", "--gate", "kl.avg <= 1"], status: 64,
            message: "unknown metric 'kl.avg'"),
        RefusedCase(
            arguments: ["--what-if", "fp8", "--tokens", "/nonexistent/tokens.txt"], status: 2,
            message: "cannot read token file '/nonexistent/tokens.txt'"),
        RefusedCase(
            arguments: ["--what-if", "fp8", "--length", "20000"], status: 2,
            message: "the model allows at most max_seq_len"),
        RefusedCase(
            arguments: ["--what-if", "fp8", "--gates", "/nonexistent/gates.json"], status: 2,
            message: "cannot read gate file '/nonexistent/gates.json'"),
        RefusedCase(arguments: [], status: 64, message: "nothing to compare"),
        RefusedCase(
            arguments: ["--what-if", "fp8", "--tokens", "t", "--seed", "3"], status: 64,
            message: "options '--tokens' and '--seed' exclude each other"),
        RefusedCase(
            arguments: ["--what-if", "bf16", "--scale-format", "ue8m0"], status: 64,
            message: "'--scale-format' applies to '--what-if fp8' only"),
        RefusedCase(
            arguments: ["--what-if", "bf16", "--path", "fp8-gemm"], status: 2,
            message: "runs on bf16, not on the requested --path fp8-gemm"),
    ]

    @Test(arguments: refused)
    func refusesWithTheRightStatus(_ testCase: RefusedCase) throws {
        let run = try BinaryRun.blockcast(["verify", VerifyFixtures.tiny] + testCase.arguments)
        #expect(run.status == testCase.status, "\(run)")
        #expect(run.stderr.contains(testCase.message), "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
    }

    @Test func tokensOutsideTheVocabularyExitWithStatus2() throws {
        let tokens = output("tokens.txt")
        try "1 2 3\n4 512 6\n".write(toFile: tokens, atomically: true, encoding: .utf8)
        let run = try BinaryRun.blockcast([
            "verify", VerifyFixtures.tiny, "--what-if", "fp8", "--tokens", tokens,
        ])
        #expect(run.status == 2, "\(run)")
        #expect(
            run.stderr.contains("sequence 2, position 2: token id 512 is outside the vocabulary"))
    }
}
