import BlockcastArguments
import Testing

@Suite struct ArgumentErrorTests {
    @Test func carriesItsMessage() {
        #expect(ArgumentError(message: "unknown option '--x'").message == "unknown option '--x'")
    }

    /// One bad command line and the message and hint it must produce.
    struct Case: CustomStringConvertible, Sendable {
        var arguments: [String]
        var message: String
        var help: String?
        var description: String { arguments.joined(separator: " ") }
    }

    static let cases: [Case] = [
        Case(
            arguments: ["convert", "in", "--output", "o", "--forse"],
            message: "unknown option '--forse'", help: "did you mean '--force'?"),
        Case(
            arguments: ["convert", "in", "--output", "o", "-force"],
            message: "unknown option '-force'", help: "did you mean '--force'?"),
        Case(
            arguments: ["convert", "in", "--output", "o", "--formt=hdf5"],
            message: "unknown option '--formt'", help: "did you mean '--format'?"),
        Case(
            arguments: ["convert", "in", "--output", "o", "--zzzzzz"],
            message: "unknown option '--zzzzzz'"),
        Case(
            arguments: ["convert", "--output", "o"],
            message: "missing required argument '<input>'"),
        Case(
            arguments: ["convert", "in"],
            message: "missing required option '--output <dir>'"),
        Case(
            arguments: ["convert", "in", "--output"],
            message: "missing value for '--output <dir>'"),
        Case(
            arguments: ["convert", "in", "--threads", "--force", "--output", "o"],
            message: "missing value for '--threads <n>'"),
        Case(
            arguments: ["convert", "in", "--output", "o", "--threads", "x"],
            message: "invalid value 'x' for '--threads': expected a positive integer"),
        Case(
            arguments: ["convert", "in", "--output", "o", "--threads", "0"],
            message: "invalid value '0' for '--threads': expected a positive integer"),
        Case(
            arguments: ["convert", "in", "--output", "o", "--threads=-2"],
            message: "invalid value '-2' for '--threads': expected a positive integer"),
        Case(
            arguments: ["convert", "in", "--output", "o", "--level", "20"],
            message: "invalid value '20' for '--level': expected an integer from 1 to 19"),
        Case(
            arguments: ["convert", "in", "--output", "o", "--seed", "1.5"],
            message: "invalid value '1.5' for '--seed': expected an integer"),
        Case(
            arguments: ["convert", "in", "--output", "o", "--tolerance", "nan"],
            message: "invalid value 'nan' for '--tolerance': expected a finite number"),
        Case(
            arguments: ["convert", "in", "--output", "o", "--format", "hfd5"],
            message: "invalid value 'hfd5' for '--format': expected one of 'hdf5', 'safetensors'",
            help: "did you mean 'hdf5'?"),
        Case(
            arguments: ["convert", "in", "--output", "o", "--format", "zip"],
            message: "invalid value 'zip' for '--format': expected one of 'hdf5', 'safetensors'"),
        Case(
            arguments: ["convert", "in", "--output", "o", "--force=yes"],
            message: "option '--force' takes no value"),
        Case(
            arguments: ["convert", "in", "--output", "o", "--output", "p"],
            message: "option '--output' given more than once"),
        Case(
            arguments: ["convert", "in", "label", "extra", "--output", "o"],
            message: "unexpected argument 'extra'"),
        Case(arguments: ["merge"], message: "missing required argument '<files>'"),
        Case(
            arguments: ["conver", "in"],
            message: "unknown command 'conver'", help: "did you mean 'convert'?"),
        Case(arguments: ["hlep"], message: "unknown command 'hlep'", help: "did you mean 'help'?"),
        Case(arguments: ["frobnicate"], message: "unknown command 'frobnicate'"),
        Case(
            arguments: ["--verison"],
            message: "unknown option '--verison'", help: "did you mean '--version'?"),
        Case(
            arguments: ["help", "mrege"],
            message: "unknown command 'mrege'", help: "did you mean 'merge'?"),
        Case(arguments: ["help", "merge", "files"], message: "unexpected argument 'files'"),
        Case(arguments: ["--help=all"], message: "option '--help' takes no value"),
        Case(
            arguments: ["merge", "a", "--help=all"], message: "option '--help' takes no value"),
    ]

    @Test(arguments: cases)
    func namesTheBadArgument(_ testCase: Case) {
        let error = #expect(throws: ArgumentError.self) {
            try Fixtures.root.parse(testCase.arguments)
        }
        #expect(error?.message == testCase.message)
        #expect(error?.help == testCase.help)
    }

    @Test func rendersErrorHintUsageAndPointer() {
        let error = #expect(throws: ArgumentError.self) {
            try Fixtures.root.parse(["convert", "in", "--output", "o", "--forse"])
        }
        #expect(
            error?.rendered == """
                error: unknown option '--forse'
                help: did you mean '--force'?
                usage: tool convert --output <dir> [<options>] <input> [<label>]
                Run 'tool convert --help' to see every option.

                """)
    }

    @Test func rootErrorsCarryTheRootUsage() {
        let error = #expect(throws: ArgumentError.self) { try Fixtures.root.parse(["conver"]) }
        #expect(
            error?.rendered == """
                error: unknown command 'conver'
                help: did you mean 'convert'?
                usage: tool <command> [<options>]
                Run 'tool --help' to see every option.

                """)
    }

    @Test func errorWithoutCommandRendersJustTheMessage() {
        #expect(ArgumentError(message: "bad", help: "fix").rendered == "error: bad\nhelp: fix\n")
    }
}
