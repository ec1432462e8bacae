/// A command's declaration: its name, help texts, arguments, options and subcommands.
///
/// A command either has subcommands (the root `blockcast`) or arguments (a leaf such as
/// `quantize`), never both. Every command understands `--help` (and `-h`); a command with a
/// ``version`` understands `--version`; a command with subcommands has a `help` subcommand.
public struct Command: Sendable {
    /// The name typed on the command line: `quantize`.
    public var name: String

    /// One line for the OVERVIEW section and the parent's SUBCOMMANDS list.
    public var abstract: String

    /// Longer prose for the help page, or empty.
    public var discussion: String

    /// The positional arguments, in order.
    public var arguments: [Argument]

    /// The options and flags, in the order help lists them.
    public var options: [Option]

    /// The subcommands, in the order help lists them.
    public var subcommands: [Command]

    /// What `--version` prints, or `nil` when the command has no `--version`.
    public var version: String?

    /// Whether the command dispatches to subcommands (and has a `help` subcommand), which
    /// holds for any command declaring subcommands and for one declared as a group while
    /// its list is still empty.
    public var isGroup: Bool

    /// A command; checks the declaration is consistent (programmer errors trap).
    public init(
        name: String, abstract: String, discussion: String = "", arguments: [Argument] = [],
        options: [Option] = [], subcommands: [Command] = [], version: String? = nil,
        isGroup: Bool = false
    ) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.arguments = arguments
        self.options = options
        self.subcommands = subcommands
        self.version = version
        self.isGroup = isGroup || !subcommands.isEmpty
        checkDeclaration()
    }

    /// The name of the built-in subcommand that shows help: `blockcast help quantize`.
    public static let helpCommandName = "help"

    /// The option that asks for help.
    static let helpOption = Option.flag("--help", help: "Show this help.")

    /// The option that asks for the version.
    static let versionOption = Option.flag(
        "--version", help: "Show the version and the linked libraries.")

    /// The declared options plus the built-in ones, as help lists them.
    var allOptions: [Option] {
        options + (version == nil ? [] : [Command.versionOption]) + [Command.helpOption]
    }

    /// The subcommand named `name`, if any.
    func subcommand(named name: String) -> Command? {
        subcommands.first { $0.name == name }
    }

    /// The names a user may type where a subcommand is expected.
    var subcommandNames: [String] {
        subcommands.map(\.name) + [Command.helpCommandName]
    }

    private func checkDeclaration() {
        precondition(
            !isGroup || arguments.isEmpty,
            "\(name): a command has either subcommands or arguments")
        let names = allOptions.map(\.name)
        precondition(Set(names).count == names.count, "\(name): an option is declared twice")
        precondition(
            names.allSatisfy { $0.hasPrefix("--") && $0.count > 2 },
            "\(name): option names start with '--'")
        let commands = subcommandNames
        precondition(Set(commands).count == commands.count, "\(name): duplicate subcommand")
        for (position, argument) in arguments.enumerated() {
            let isLast = position == arguments.count - 1
            precondition(isLast || !argument.isRepeating, "\(name): only the last argument repeats")
            if position > 0 {
                precondition(
                    argument.isOptional || !arguments[position - 1].isOptional,
                    "\(name): a required argument follows an optional one")
            }
        }
    }
}
