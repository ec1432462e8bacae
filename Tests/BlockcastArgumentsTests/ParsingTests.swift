import BlockcastArguments
import Testing

@Suite struct ParsingTests {
    @Test func readsOptionsInBothSpellingsAndArguments() throws {
        let parsed = try Fixtures.run([
            "convert", "in.h5", "--output", "out", "--format=safetensors", "--threads", "4",
            "--force", "--tolerance", "1e-3", "--seed", "-7",
        ])
        #expect(parsed.commandPath == ["tool", "convert"])
        #expect(parsed.positional("input") == "in.h5")
        #expect(parsed.positional("label") == nil)
        #expect(parsed.string("--output") == "out")
        #expect(parsed.string("--format") == "safetensors")
        #expect(parsed.int("--threads") == 4)
        #expect(parsed.int("--seed") == -7)
        #expect(parsed.double("--tolerance") == 1e-3)
        #expect(parsed.flag("--force"))
        #expect(parsed.isPresent("--threads"))
        #expect(!parsed.isPresent("--level"))
    }

    @Test func absentOptionsTakeTheirDefaultsOrNothing() throws {
        let parsed = try Fixtures.run(["convert", "--output", "out", "in.h5", "run-1"])
        #expect(parsed.string("--format") == "hdf5")
        #expect(!parsed.isPresent("--format"))
        #expect(parsed.int("--threads") == nil)
        #expect(parsed.double("--tolerance") == nil)
        #expect(!parsed.flag("--force"))
        #expect(parsed.strings("--include") == [])
        #expect(parsed.positional("label") == "run-1")
    }

    @Test func repeatableOptionsKeepEveryValueInOrder() throws {
        let parsed = try Fixtures.run([
            "convert", "in.h5", "--output", "o", "--include", "*.weight", "--include=experts.*",
        ])
        #expect(parsed.strings("--include") == ["*.weight", "experts.*"])
    }

    @Test func doubleDashEndsOptions() throws {
        let parsed = try Fixtures.run(["convert", "--output", "o", "--", "--force", "-"])
        #expect(parsed.positional("input") == "--force")
        #expect(parsed.positional("label") == "-")
        #expect(!parsed.flag("--force"))
    }

    @Test func repeatingArgumentTakesTheRest() throws {
        let parsed = try Fixtures.run(["merge", "a", "b", "--quiet", "c"])
        #expect(parsed.positionals("files") == ["a", "b", "c"])
        #expect(parsed.flag("--quiet"))
    }

    @Test func convertedValuesAndCommandErrorsNameTheOption() throws {
        let parsed = try Fixtures.run(["convert", "in", "--output", "2/x"])
        let error = #expect(throws: ArgumentError.self) {
            try parsed.value("--output", expected: "a part such as 2/8") { Int($0) }
        }
        #expect(error?.message == "invalid value '2/x' for '--output': expected a part such as 2/8")
        #expect(error?.usage == "usage: tool convert --output <dir> [<options>] <input> [<label>]")
        #expect(error?.helpCommand == "tool convert --help")
        #expect(try parsed.value("--threads", expected: "n") { Int($0) } == nil)
    }

    @Test(arguments: [
        ["--help"], ["-h"], [], ["help"], ["help", "--help"],
    ])
    func rootHelpIsShownFor(_ arguments: [String]) throws {
        guard case .help(let page) = try Fixtures.root.parse(arguments) else {
            Issue.record("no help for \(arguments)")
            return
        }
        #expect(page == Fixtures.root.helpPage(path: ["tool"]))
    }

    @Test(arguments: [
        ["convert", "--help"], ["convert", "in", "--bogus", "-h"], ["help", "convert"],
        ["help", "convert", "-h"],
    ])
    func commandHelpIsShownFor(_ arguments: [String]) throws {
        guard case .help(let page) = try Fixtures.root.parse(arguments) else {
            Issue.record("no help for \(arguments)")
            return
        }
        #expect(page == Fixtures.convert.helpPage(path: ["tool", "convert"]))
    }

    @Test func helpAfterDoubleDashIsAnArgument() throws {
        let parsed = try Fixtures.run(["merge", "--", "--help"])
        #expect(parsed.positionals("files") == ["--help"])
    }

    @Test func versionIsShownAtTheRoot() throws {
        guard case .version(let text) = try Fixtures.root.parse(["--version"]) else {
            Issue.record("no version")
            return
        }
        #expect(text == "tool 1.2.3")
    }
}
