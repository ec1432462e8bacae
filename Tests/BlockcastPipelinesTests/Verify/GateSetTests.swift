import BlockcastPipelines
import Foundation
import Testing

@Suite struct GateSetTests {
    private func parse(_ json: String) throws -> GateSet {
        try GateSet(json: Data(json.utf8), source: "test.json")
    }

    @Test func loadsSectionsAndCombinesAllWithThePath() throws {
        let set = try parse(
            """
            {"format": "blockcast-gates", "version": 1, "description": "d",
             "gates": {"all": ["top1 >= 0.9"], "fp8-gemm": ["kl.mean <= 1e-2", "top1 >= 0.9"],
                       "sharded": ["routing == 1"]}}
            """)
        #expect(set.description == "d")
        #expect(set.gates(for: .fp8Gemm).map(\.text) == ["top1 >= 0.9", "kl.mean <= 0.01"])
        #expect(set.gates(for: .sharded).map(\.text) == ["top1 >= 0.9", "routing == 1"])
        #expect(set.gates(for: .bf16).map(\.text) == ["top1 >= 0.9"])
    }

    @Test func jsonRoundTrips() throws {
        let set = GateSet(
            all: [Gate(.top1, .atLeast, 0.5)],
            byPath: [.bf16: [Gate(.klMean, .atMost, 1e-5)], .sharded: [Gate(.routing, .equal, 1)]],
            description: "bounds \"quoted\"")
        #expect(try parse(set.json()) == set)
    }

    @Test(arguments: [
        ("[1]", "not a JSON object"),
        ("{", "not a JSON object"),
        (#"{"version": 1, "gates": {}}"#, "'format' must be \"blockcast-gates\""),
        (#"{"format": "other", "version": 1, "gates": {}}"#, "'format' must be"),
        (#"{"format": "blockcast-gates", "gates": {}}"#, "'version' must be an integer"),
        (
            #"{"format": "blockcast-gates", "version": 2, "gates": {}}"#,
            "version 2 is not supported"
        ),
        (#"{"format": "blockcast-gates", "version": 1}"#, "'gates' must be an object"),
        (
            #"{"format": "blockcast-gates", "version": 1, "gates": {}, "extra": 1}"#,
            "unknown key 'extra'"
        ),
        (
            #"{"format": "blockcast-gates", "version": 1, "gates": {"fp16": []}}"#,
            "unknown path 'fp16'"
        ),
        (
            #"{"format": "blockcast-gates", "version": 1, "gates": {"bf16": "top1 >= 1"}}"#,
            "'gates.bf16' must be a list"
        ),
        (
            #"{"format": "blockcast-gates", "version": 1, "gates": {"bf16": [3]}}"#,
            "'gates.bf16[0]' is not a string"
        ),
        (
            #"{"format": "blockcast-gates", "version": 1, "gates": {"bf16": ["top1 >= 1", "x"]}}"#,
            "'gates.bf16[1]': gate 'x': no comparison"
        ),
        (
            #"{"format": "blockcast-gates", "version": 1, "gates": {"bf16": ["bf16:top1 >= 1"]}}"#,
            "a path prefix is not allowed here"
        ),
    ])
    func rejectsBadFilesNamingTheEntry(json: String, fragment: String) {
        #expect {
            try parse(json)
        } throws: { error in
            guard let error = error as? VerifyError else { return false }
            return error.code == .invalidGateFile && error.message.contains("test.json")
                && error.message.contains(fragment)
        }
    }

    @Test func aMissingFileIsAnInvalidGateFileError() {
        #expect {
            try GateSet(contentsOf: URL(fileURLWithPath: "/nonexistent/gates.json"))
        } throws: { error in
            (error as? VerifyError)?.message.contains("/nonexistent/gates.json") == true
        }
    }

    @Test func flagsGoToTheirPathOrToAll() throws {
        let set = GateSet(flags: [
            try Gate(parsing: "top1 >= 0.9"), try Gate(parsing: "sharded:routing == 1"),
        ])
        #expect(set.all.map(\.text) == ["top1 >= 0.9"])
        #expect(set.gates(for: .sharded).map(\.condition) == ["top1 >= 0.9", "routing == 1"])
        #expect(set.gates(for: .fp32).count == 1)
    }
}
