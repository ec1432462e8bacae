import BlockcastArguments
import Testing

@Suite struct HelpPageTests {
    @Test func leafPageHasEverySectionInOrder() {
        let expected = """
            OVERVIEW: Convert a checkpoint to another container.

            Reads every tensor of the input and writes it to the output directory, one file
            per shard, renaming them into place when complete.

            The input is never modified.

            USAGE: tool convert --output <dir> [<options>] <input> [<label>]

            ARGUMENTS:
              <input>                 The checkpoint to read.
              [<label>]               A name for the report.

            OPTIONS:
              --output <dir>          Where to write the result.
              --format <format>       The container to write. (values: hdf5, safetensors;
                                      default: hdf5)
              --threads <n>           Worker threads.
              --seed <s>              Random seed.
              --level <k>             Compression level.
              --tolerance <x>         Largest error allowed.
              --include <pattern>     Only tensors matching the pattern. (repeatable)
              --force                 Overwrite an existing output.
              -h, --help              Show this help.

            """
        #expect(Fixtures.convert.helpPage(path: ["tool", "convert"]) == expected)
    }

    @Test func groupPageListsSubcommandsAndHelp() {
        let expected = """
            OVERVIEW: Does things to checkpoints.

            USAGE: tool <command> [<options>]

            OPTIONS:
              --version               Show the version and the linked libraries.
              -h, --help              Show this help.

            SUBCOMMANDS:
              convert                 Convert a checkpoint to another container.
              merge                   Merge files.
              help                    Show the help of a command.

              Run 'tool help <command>' to see a command's options.

            """
        #expect(Fixtures.root.helpPage(path: ["tool"]) == expected)
    }

    @Test func emptyGroupStillOffersHelp() throws {
        let root = Command(name: "solo", abstract: "Nothing yet.", isGroup: true)
        #expect(root.helpPage(path: ["solo"]).contains("SUBCOMMANDS:\n  help "))
        let error = #expect(throws: ArgumentError.self) { try root.parse(["hepl"]) }
        #expect(error?.help == "did you mean 'help'?")
    }

    @Test func longLabelsAndTextWrapWithinEightyColumns() {
        let words = Array(repeating: "wrapping", count: 30).joined(separator: " ")
        let command = Command(
            name: "wide", abstract: words, discussion: words,
            arguments: [.repeating("a-rather-long-argument-name", help: words)],
            options: [
                .value("--an-unusually-long-option", "value", help: words, isRequired: true),
                .value("--second-long-required-option", "value", help: "x", isRequired: true),
            ])
        let page = command.helpPage(path: ["blockcast", "wide"])
        for line in page.split(separator: "\n") {
            #expect(line.count <= 80, "too wide: \(line)")
        }
        #expect(
            page.contains(
                "\n  --an-unusually-long-option <value>\n" + String(repeating: " ", count: 26)
                    + "wrapping"))
        #expect(
            command.usageLine(path: ["blockcast", "wide"]) == """
                usage: blockcast wide --an-unusually-long-option <value>
                                      --second-long-required-option <value> [<options>]
                                      <a-rather-long-argument-name> ...
                """)
    }
}
