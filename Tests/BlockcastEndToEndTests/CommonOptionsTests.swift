import BlockcastTestSupport
import Testing

/// The shared options (`--threads`, `--quiet`, `--progress`, `--part` and the launcher
/// rank variables), checked through `quantize`, which declares all of them. Each case is
/// refused before any file is touched, so the input path need not exist.
@Suite struct CommonOptionsTests {
    /// A command line, extra environment, and the first stderr line it must produce.
    struct Case: CustomStringConvertible, Sendable {
        var arguments: [String]
        var environment: [String: String] = [:]
        var error: String
        var description: String { arguments.joined(separator: " ") }
    }

    static let cases = [
        Case(
            arguments: ["--part", "9/8"],
            error: "error: invalid value '9/8' for '--part': expected i/n with 1 <= i <= n, "
                + "such as 2/8"),
        Case(
            arguments: ["--part=0/2"],
            error: "error: invalid value '0/2' for '--part': expected i/n with 1 <= i <= n, "
                + "such as 2/8"),
        Case(
            arguments: [], environment: ["SLURM_PROCID": "4", "SLURM_NTASKS": "4"],
            error: "error: invalid launcher rank SLURM_PROCID=4 with SLURM_NTASKS=4: expected "
                + "a rank from 0 to size - 1"),
        Case(
            arguments: ["--threads", "0"],
            error: "error: invalid value '0' for '--threads': expected a positive integer"),
        Case(
            arguments: ["--quiet", "--progress", "json"],
            error: "error: options '--quiet' and '--progress' exclude each other"),
        Case(
            arguments: ["--progress", "jsno"],
            error: "error: invalid value 'jsno' for '--progress': expected one of 'auto', "
                + "'bar', 'log', 'json', 'none'"),
    ]

    @Test(arguments: cases)
    func refusesWithTheUsageStatus(_ testCase: Case) throws {
        let run = try BinaryRun.blockcast(
            ["quantize", "/nonexistent/input.h5"] + testCase.arguments,
            environment: testCase.environment)
        #expect(run.status == 64, "\(run)")
        #expect(run.stdout == "")
        let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first.map(String.init) == testCase.error, "\(run)")
        #expect(lines.contains { $0.hasPrefix("usage: blockcast quantize ") }, "\(run)")
        #expect(run.stderr.hasSuffix("Run 'blockcast quantize --help' to see every option.\n"))
    }

    @Test func partOptionWinsOverABadLauncherRank() throws {
        // The launcher variables are not read at all when --part is given, so a bad one
        // does not matter; the run then fails on the missing input instead (exit 2).
        let run = try BinaryRun.blockcast(
            ["quantize", "/nonexistent/input.h5", "/nonexistent/output", "--part", "1/2"],
            environment: ["PMI_RANK": "7", "PMI_SIZE": "2"])
        #expect(run.status == 2, "\(run)")
        #expect(!run.stderr.contains("PMI_RANK"), "\(run)")
        #expect(run.stderr.hasPrefix("error: "), "\(run)")
        #expect(run.stderr.contains("/nonexistent/input.h5"), "\(run)")
    }
}
