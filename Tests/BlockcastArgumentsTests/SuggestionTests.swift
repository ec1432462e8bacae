import BlockcastArguments
import Testing

@Suite struct SuggestionTests {
    /// Typed option → the suggestion expected from a command declaring these options.
    static let cases: [(String, String?)] = [
        ("--forse", "--force"),
        ("--fore", "--force"),
        ("--froce", "--force"),
        ("--thread", "--threads"),
        ("--threds", "--threads"),
        ("--includes", "--include"),
        ("--outptu", "--output"),
        ("--xyz", nil),
        ("--tolerence", "--tolerance"),
        ("--", nil),
    ]

    @Test(arguments: cases)
    func suggestsTheNearestOption(_ typed: String, _ expected: String?) {
        let error = #expect(throws: ArgumentError.self) {
            try Fixtures.root.parse(["convert", "in", "--output", "o", typed + "=1"])
        }
        #expect(error?.help == expected.map { "did you mean '\($0)'?" })
    }
}
