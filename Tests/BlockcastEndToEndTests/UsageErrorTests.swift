import BlockcastTestSupport
import Testing

@Suite struct UsageErrorTests {
    /// A bad command line and the exact stderr it must produce (stdout stays empty).
    struct Case: CustomStringConvertible, Sendable {
        var arguments: [String]
        var stderr: String
        var description: String { arguments.joined(separator: " ") }
    }

    static let rootUsage = """
        usage: blockcast <command> [<options>]
        Run 'blockcast --help' to see every option.

        """

    static let cases = [
        Case(
            arguments: ["help", "frobnicate"],
            stderr: "error: unknown command 'frobnicate'\n" + rootUsage),
        Case(
            arguments: ["halp"],
            stderr: "error: unknown command 'halp'\nhelp: did you mean 'help'?\n" + rootUsage),
        Case(
            arguments: ["help", "halp"],
            stderr: "error: unknown command 'halp'\nhelp: did you mean 'help'?\n" + rootUsage),
        Case(
            arguments: ["--verison"],
            stderr: "error: unknown option '--verison'\nhelp: did you mean '--version'?\n"
                + rootUsage),
        Case(
            arguments: ["--threads", "4"],
            stderr: "error: unknown option '--threads'\n" + rootUsage),
    ]

    @Test(arguments: cases)
    func exitsWithUsageStatusAndNamesTheArgument(_ testCase: Case) throws {
        let run = try BinaryRun.blockcast(testCase.arguments)
        #expect(run.status == 64, "\(run)")
        #expect(run.stdout == "")
        #expect(run.stderr == testCase.stderr, "\(run)")
    }

    @Test func everyCommandRefusesAnUnknownOptionWithItsOwnUsage() throws {
        for name in try HelpTests.registeredCommands() {
            let run = try BinaryRun.blockcast([name, "--no-such-option-anywhere"])
            #expect(run.status == 64, "\(run)")
            #expect(run.stdout == "")
            #expect(
                run.stderr.hasPrefix(
                    "error: unknown option '--no-such-option-anywhere'\nusage: blockcast \(name) "),
                "\(run)")
            #expect(
                run.stderr.hasSuffix("\nRun 'blockcast \(name) --help' to see every option.\n"),
                "\(run)")
        }
    }

    @Test func noColourWhenStderrIsAFileEvenIfForced() throws {
        let run = try BinaryRun.blockcast(["halp"], environment: ["TERM": "xterm-256color"])
        #expect(!run.stderr.contains("\u{1B}["))
    }
}
