import BlockcastArguments
import BlockcastPipelines
import Foundation

/// The `blockcast` program: parses the command line, runs the selected subcommand and
/// turns every outcome into an exit status (see ``ExitCode``).
enum BlockcastCommand {
    /// The root of the command tree.
    static let root = Command(
        name: "blockcast",
        abstract: "Quantize, shard and verify checkpoints of mixture-of-experts models.",
        discussion: """
            Turns full-precision weights into FP8 E4M3 checkpoints with 128x128 block \
            scales, splits them into tensor-parallel rank files, and checks with a \
            float32 forward pass that the converted model still computes what the \
            original did.

            Exit status: 0 success, 1 an accuracy gate failed, 2 the input was refused \
            (the message names the file and the tensor), 64 the command line was wrong.
            """,
        subcommands: CommandRegistry.commands.map { $0.command },
        version: (["blockcast \(BuildInfo.version)"] + BuildInfo.libraryLines)
            .joined(separator: "\n"),
        isGroup: true)

    /// Runs the program on the process's arguments and exits with its status.
    static func main() -> Never {
        // A closed stdout (`blockcast inspect x | head`) should end the write, not the
        // process by signal; writes then fail quietly.
        signal(SIGPIPE, SIG_IGN)
        let status = run(Array(CommandLine.arguments.dropFirst()))
        exit(status.rawValue)
    }

    /// Parses `arguments`, runs what they select and reports every error.
    static func run(_ arguments: [String]) -> ExitCode {
        do {
            switch try root.parse(arguments) {
            case .help(let page):
                print(page, terminator: "")
                return .success
            case .version(let text):
                print(text)
                return .success
            case .run(let parsed):
                return try dispatch(parsed)
            }
        } catch let error as ArgumentError {
            Diagnostics.standard.emit(
                error.lines.map { line in (Diagnostics.Severity(label: line.label), line.text) })
            return .usage
        } catch let error as GateFailure {
            Diagnostics.standard.error(error.message)
            return .gateFailed
        } catch {
            Diagnostics.standard.error(error)
            return .badInput
        }
    }

    /// Hands a parsed command line to the registered command it names.
    private static func dispatch(_ parsed: ParsedArguments) throws -> ExitCode {
        let name = parsed.commandPath[1]
        guard let entry = CommandRegistry.commands.first(where: { $0.command.name == name })
        else {
            preconditionFailure("parsed a command that is not registered: \(name)")
        }
        return try entry.run(parsed)
    }
}

extension Diagnostics.Severity {
    /// The severity an ``ArgumentError`` line label stands for; `nil` for plain lines.
    fileprivate init?(label: String?) {
        guard let label else { return nil }
        self.init(rawValue: label)
    }
}
