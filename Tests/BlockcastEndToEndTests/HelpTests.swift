import BlockcastTestSupport
import Testing

@Suite struct HelpTests {
    /// The page up to the list of subcommands, which grows as commands are registered.
    static let head = """
        OVERVIEW: Quantize, shard and verify checkpoints of mixture-of-experts models.

        Turns full-precision weights into FP8 E4M3 checkpoints with 128x128 block
        scales, splits them into tensor-parallel rank files, and checks with a float32
        forward pass that the converted model still computes what the original did.

        Exit status: 0 success, 1 an accuracy gate failed, 2 the input was refused (the
        message names the file and the tensor), 64 the command line was wrong.

        USAGE: blockcast <command> [<options>]

        OPTIONS:
          --version               Show the version and the linked libraries.
          -h, --help              Show this help.

        SUBCOMMANDS:

        """

    /// The end of the page: the built-in `help` and the pointer to per-command help.
    static let tail = """
          help                    Show the help of a command.

          Run 'blockcast help <command>' to see a command's options.

        """

    @Test(arguments: [["--help"], ["-h"], ["help"], []])
    func rootHelpGoesToStdoutWithStatusZero(_ arguments: [String]) throws {
        let run = try BinaryRun.blockcast(arguments)
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr == "")
        #expect(run.stdout.hasPrefix(Self.head), "\(run)")
        #expect(run.stdout.hasSuffix(Self.tail), "\(run)")

        // Between head and tail: one entry per registered command, name then abstract.
        let middle = run.stdout.dropFirst(Self.head.count).dropLast(Self.tail.count)
        let entryShape = #/  [a-z]+ {2,}\S.*| {26}\S.*/#
        for line in middle.split(separator: "\n") {
            #expect(line.wholeMatch(of: entryShape) != nil, "\(line)")
        }
    }

    /// The registered commands, read from the root help page.
    static func registeredCommands() throws -> [String] {
        let page = try BinaryRun.blockcast(["--help"]).stdout
        let middle = page.dropFirst(head.count).dropLast(tail.count)
        return middle.split(separator: "\n").compactMap { line in
            line.hasPrefix("  ") && !line.hasPrefix("   ")
                ? String(line.dropFirst(2).prefix { $0 != " " }) : nil
        }
    }

    @Test func everyCommandHelpIsTheSameBothWaysAndFitsEightyColumns() throws {
        for name in try Self.registeredCommands() {
            let viaHelp = try BinaryRun.blockcast(["help", name])
            let viaFlag = try BinaryRun.blockcast([name, "--help"])
            #expect(viaHelp.status == 0, "\(viaHelp)")
            #expect(viaFlag.status == 0, "\(viaFlag)")
            #expect(viaHelp.stdout == viaFlag.stdout)
            #expect(viaFlag.stderr == "")
            #expect(viaFlag.stdout.hasPrefix("OVERVIEW: "), "\(viaFlag)")
            #expect(viaFlag.stdout.contains("\n\nUSAGE: blockcast \(name) "), "\(viaFlag)")
            #expect(viaFlag.stdout.contains("\n\nOPTIONS:\n"), "\(viaFlag)")
            for line in viaFlag.stdout.split(separator: "\n") {
                #expect(line.count <= 80, "blockcast \(name) --help: too wide: \(line)")
            }
        }
    }

    @Test func helpOfHelpIsTheRootPage() throws {
        let root = try BinaryRun.blockcast(["--help"])
        let help = try BinaryRun.blockcast(["help", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout == root.stdout)
    }
}
