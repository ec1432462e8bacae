import BlockcastPipelines
import Foundation
import Testing

@Suite struct TokenSequencesTests {
    @Test(arguments: [
        ("1 2 3\n4,5,6\n", [[1, 2, 3], [4, 5, 6]]),
        ("1, 2, 3\n\n# a comment\n  7\t8 \n", [[1, 2, 3], [7, 8]]),
        ("[[1, 2], [3]]", [[1, 2], [3]]),
        ("  \n[[0]]\n", [[0]]),
        ("9\r\n10\r\n", [[9], [10]]),
    ])
    func parsesBothLayouts(text: String, expected: [[Int]]) throws {
        #expect(try TokenSequences(parsing: text, source: "t").sequences == expected)
    }

    @Test(arguments: [
        ("1 2 x\n", "line 1: 'x' is not a token id"),
        ("1\n2.5\n", "line 2: '2.5' is not a token id"),
        ("[[1, 2.5]]", "not a JSON array of arrays of integer"),
        ("[1, 2]", "not a JSON array of arrays"),
        ("[[1], []]", "sequence 2 is empty"),
        ("# only a comment\n", "holds no sequence"),
        ("", "holds no sequence"),
    ])
    func rejectsMalformedFiles(text: String, fragment: String) {
        #expect {
            try TokenSequences(parsing: text, source: "tokens.txt")
        } throws: { error in
            guard let error = error as? VerifyError else { return false }
            return error.code == .unreadableTokens && error.message.contains(fragment)
                && error.message.contains("tokens.txt")
        }
    }

    @Test(arguments: [
        ([[1, 2, 512]], "sequence 1, position 3: token id 512 is outside the vocabulary"),
        ([[0], [-1]], "sequence 2, position 1: token id -1"),
        ([[1, 2, 3, 4, 5]], "sequence 1 has 5 positions; the model allows at most"),
    ])
    func validationNamesTheOffendingToken(sequences: [[Int]], fragment: String) {
        let tokens = TokenSequences(sequences: sequences, source: "t.json")
        #expect {
            try tokens.validate(vocabularySize: 512, maxSequenceLength: 4)
        } throws: { error in
            guard let error = error as? VerifyError else { return false }
            return error.code == .tokensOutOfRange && error.message.contains(fragment)
        }
    }

    @Test func generatedTokensAreDeterministicAndInRange() throws {
        let a = TokenSequences.generated(sequences: 3, length: 40, seed: 7, vocabularySize: 50)
        let b = TokenSequences.generated(sequences: 3, length: 40, seed: 7, vocabularySize: 50)
        let c = TokenSequences.generated(sequences: 3, length: 40, seed: 8, vocabularySize: 50)
        #expect(a == b)
        #expect(a.sequences != c.sequences)
        #expect(a.sequences.count == 3 && a.sequences.allSatisfy { $0.count == 40 })
        #expect(a.source == "seed 7")
        try a.validate(vocabularySize: 50, maxSequenceLength: 40)
        #expect(Set(a.sequences.joined()).count > 25, "ids should spread over the vocabulary")
    }

    @Test func readsAFile() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("tokens-\(UUID().uuidString).txt")
        try "5 6\n7 8\n".write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let tokens = try TokenSequences(contentsOf: url)
        #expect(tokens.sequences == [[5, 6], [7, 8]])
        #expect(tokens.positions == 4 && tokens.longest == 2 && tokens.isRectangular)
        #expect(tokens.source == url.path)
    }
}
