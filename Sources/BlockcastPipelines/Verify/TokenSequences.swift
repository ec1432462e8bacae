import Foundation

/// The token ids the models run on: one array per sequence.
///
/// Read from a file (one sequence per line with ids separated by spaces or commas, `#` starting
/// a comment line; or a JSON array of arrays) or generated from a seed. Parsing checks the
/// syntax; ``validate(vocabularySize:maxSequenceLength:)`` checks the ids against a model.
public struct TokenSequences: Sendable, Equatable {
    /// The sequences, each non-empty.
    public var sequences: [[Int]]
    /// Where they came from, for reports: the file path, or `seed 7`.
    public var source: String

    /// Wraps sequences that are already in memory.
    public init(sequences: [[Int]], source: String) {
        self.sequences = sequences
        self.source = source
    }

    /// Reads a token file.
    /// - Throws: ``VerifyError`` (`unreadableTokens`) naming the file, line and bad text.
    public init(contentsOf url: URL) throws(VerifyError) {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw VerifyError(.unreadableTokens, "cannot read token file '\(url.path)'")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw VerifyError(.unreadableTokens, "token file '\(url.path)' is not UTF-8 text")
        }
        try self.init(parsing: text, source: url.path)
    }

    /// Parses token-file text; `source` names it in messages and reports.
    public init(parsing text: String, source: String) throws(VerifyError) {
        let trimmed = text.drop { $0.isWhitespace }
        let sequences: [[Int]]
        if trimmed.first == "[" {
            sequences = try Self.parseJSON(Data(trimmed.utf8), source: source)
        } else {
            sequences = try Self.parseLines(text, source: source)
        }

        guard !sequences.isEmpty else {
            throw VerifyError(.unreadableTokens, "token file '\(source)' holds no sequence")
        }
        if let empty = sequences.firstIndex(where: \.isEmpty) {
            throw VerifyError(
                .unreadableTokens, "token file '\(source)': sequence \(empty + 1) is empty")
        }
        self.init(sequences: sequences, source: source)
    }

    /// `count` sequences of `length` ids drawn uniformly from the vocabulary; the same seed
    /// gives the same tokens on every machine.
    public static func generated(
        sequences count: Int, length: Int, seed: UInt64, vocabularySize: Int
    ) -> TokenSequences {
        precondition(count > 0 && length > 0 && vocabularySize > 0)
        var generator = SeededGenerator(seed: seed, name: "verify.tokens")
        let sequences = (0..<count).map { _ in
            // Multiply-shift on 32 random bits: uniform enough for any vocabulary below 2^32.
            (0..<length).map { _ in Int(((generator.next() >> 32) &* UInt64(vocabularySize)) >> 32)
            }
        }
        return TokenSequences(sequences: sequences, source: "seed \(seed)")
    }

    /// Checks every id against the vocabulary and every length against `max_seq_len`.
    /// - Throws: ``VerifyError`` (`tokensOutOfRange`) naming the sequence, position and id.
    public func validate(vocabularySize: Int, maxSequenceLength: Int) throws(VerifyError) {
        for (s, sequence) in sequences.enumerated() {
            guard sequence.count <= maxSequenceLength else {
                throw VerifyError(
                    .tokensOutOfRange,
                    "\(source): sequence \(s + 1) has \(sequence.count) positions; the model "
                        + "allows at most max_seq_len = \(maxSequenceLength)")
            }
            if let p = sequence.firstIndex(where: { $0 < 0 || $0 >= vocabularySize }) {
                throw VerifyError(
                    .tokensOutOfRange,
                    "\(source): sequence \(s + 1), position \(p + 1): token id \(sequence[p]) "
                        + "is outside the vocabulary (0 ..< \(vocabularySize))")
            }
        }
    }

    /// Positions over all sequences.
    public var positions: Int { sequences.reduce(0) { $0 + $1.count } }

    /// Length of the longest sequence.
    public var longest: Int { sequences.map(\.count).max() ?? 0 }

    /// Whether every sequence has the same length (needed for a `[S, T, V]` logits file).
    public var isRectangular: Bool { Set(sequences.map(\.count)).count <= 1 }

    private static func parseJSON(_ data: Data, source: String) throws(VerifyError) -> [[Int]] {
        do {
            return try JSONDecoder().decode([[Int]].self, from: data)
        } catch {
            throw VerifyError(
                .unreadableTokens,
                "token file '\(source)' starts with '[' but is not a JSON array of arrays of "
                    + "integer token ids")
        }
    }

    private static func parseLines(_ text: String, source: String) throws(VerifyError) -> [[Int]] {
        var sequences: [[Int]] = []
        // `\r\n` is one Character in Swift, so split on the newline property, not on "\n".
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (number, line) in lines.enumerated() {
            let content = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if content.isEmpty || content.hasPrefix("#") { continue }

            var ids: [Int] = []
            let fields = content.split { $0 == "," || $0.isWhitespace }
            for field in fields {
                guard let id = Int(field) else {
                    throw VerifyError(
                        .unreadableTokens,
                        "token file '\(source)', line \(number + 1): '\(field)' is not a "
                            + "token id (expected integers separated by spaces or commas)")
                }
                ids.append(id)
            }
            sequences.append(ids)
        }
        return sequences
    }
}
