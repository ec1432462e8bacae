import BlockcastPipelines
import Foundation
import Testing

@Suite struct DiagnosticsTests {
    @Test func printsLabelledLinesWithoutColorOffATerminal() {
        let capture = CapturedConsole()
        let diagnostics = Diagnostics(console: capture.console(isTerminal: false), usesColor: false)
        diagnostics.error("cannot open 'x.h5'")
        diagnostics.warning("tensor 'a' has no scale")
        diagnostics.note("3 tensors kept in bfloat16")
        #expect(
            capture.text
                == "error: cannot open 'x.h5'\nwarning: tensor 'a' has no scale\n"
                + "note: 3 tensors kept in bfloat16\n")
        #expect(diagnostics.errorCount == 1)
        #expect(diagnostics.warningCount == 1)
    }

    @Test func coloursOnlyTheLabel() {
        let capture = CapturedConsole()
        let diagnostics = Diagnostics(console: capture.console(isTerminal: true), usesColor: true)
        diagnostics.error("bad")
        diagnostics.emit([(.help, "try this"), (nil, "usage: x")])
        #expect(
            capture.text
                == "\u{1B}[1;31merror:\u{1B}[0m bad\n\u{1B}[1;32mhelp:\u{1B}[0m try this\nusage: x\n"
        )
    }

    @Test func quietDropsNotesButNotWarningsOrErrors() {
        let capture = CapturedConsole()
        let diagnostics = Diagnostics(console: capture.console(isTerminal: false), usesColor: false)
        diagnostics.isQuiet = true
        diagnostics.note("hidden")
        diagnostics.warning("shown")
        #expect(capture.text == "warning: shown\n")
    }

    @Test func describesErrorsByTheirDescription() {
        struct Sample: Error, CustomStringConvertible {
            var description: String { "tensor 'w' in 'a.h5': expected [4, 4], found [4, 5]" }
        }
        #expect(Diagnostics.message(for: Sample()) == Sample().description)
        #expect(Diagnostics.message(for: GateFailure(message: "kl.mean")) == "kl.mean")
        let missing = CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "/x/y.h5"])
        #expect(!Diagnostics.message(for: missing).contains("NSCocoaErrorDomain"))
        #expect(Diagnostics.message(for: missing).hasPrefix("'/x/y.h5': "))
    }

    @Test func linesFromManyThreadsNeverInterleave() async {
        let capture = CapturedConsole()
        let diagnostics = Diagnostics(console: capture.console(isTerminal: false), usesColor: false)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for line in 0..<50 {
                        diagnostics.emit([(.warning, "task \(task) line \(line)"), (nil, "end")])
                    }
                }
            }
        }
        let lines = capture.text.split(separator: "\n")
        #expect(lines.count == 8 * 50 * 2)
        for pair in stride(from: 0, to: lines.count, by: 2) {
            #expect(lines[pair].hasPrefix("warning: task "))
            #expect(lines[pair + 1] == "end")
        }
    }

    /// Environment → whether a terminal gets colour.
    static let colorCases: [([String: String], Bool, Bool)] = [
        ([:], true, true),
        ([:], false, false),
        (["NO_COLOR": "1"], true, false),
        (["NO_COLOR": ""], true, true),
        (["TERM": "dumb"], true, false),
        (["TERM": "xterm-256color"], true, true),
    ]

    @Test(arguments: colorCases)
    func colourFollowsTerminalAndEnvironment(
        _ environment: [String: String], _ isTerminal: Bool, _ expected: Bool
    ) {
        #expect(ColorPolicy.usesColor(isTerminal: isTerminal, environment: environment) == expected)
    }
}
