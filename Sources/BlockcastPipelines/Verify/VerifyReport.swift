import Foundation

/// The outcome of one `verify` run: what was compared, what was measured, which gates held.
///
/// Written with `--json` in the versioned layout of formats/report.md and read back by
/// ``init(json:)``; the table, JUnit and HTML writers render the same value.
public struct VerifyReport: Codable, Equatable, Sendable {
    /// The `format` field of every report.
    public static let formatName = "blockcast-verify-report"
    /// The report version this build writes.
    public static let currentVersion = 1

    /// Always ``formatName``.
    public var format: String
    /// The layout version (``currentVersion`` when written by this build).
    public var version: Int
    /// The tool and version that wrote the report (`blockcast 0.1.0`).
    public var tool: String
    /// Where the reference came from.
    public var reference: ReferenceSummary
    /// The tokens the models ran on.
    public var inputs: InputSummary
    /// One entry per candidate, in the order they ran.
    public var candidates: [CandidateReport]

    /// Creates a report in the current version.
    public init(
        tool: String, reference: ReferenceSummary, inputs: InputSummary,
        candidates: [CandidateReport]
    ) {
        format = Self.formatName
        version = Self.currentVersion
        self.tool = tool
        self.reference = reference
        self.inputs = inputs
        self.candidates = candidates
    }

    /// Whether every gate of every candidate held (skipped gates do not count either way).
    public var passed: Bool { failedGates.isEmpty }

    /// Every failed gate, with the candidate it belongs to.
    public var failedGates: [(candidate: String, outcome: GateOutcome)] {
        candidates.flatMap { candidate in
            candidate.gates.filter { $0.status == .failed }.map { (candidate.name, $0) }
        }
    }

    private enum CodingKeys: String, CodingKey {
        case format, version, tool, reference, inputs, candidates, passed
    }

    /// Decodes a report, refusing other formats and newer versions.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        format = try container.decode(String.self, forKey: .format)
        version = try container.decode(Int.self, forKey: .version)
        guard format == Self.formatName, version <= Self.currentVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .version, in: container,
                debugDescription: "not a \(Self.formatName) of version ≤ \(Self.currentVersion)")
        }
        tool = try container.decode(String.self, forKey: .tool)
        reference = try container.decode(ReferenceSummary.self, forKey: .reference)
        inputs = try container.decode(InputSummary.self, forKey: .inputs)
        candidates = try container.decode([CandidateReport].self, forKey: .candidates)
    }

    /// Encodes the report; `passed` is written for readers, and recomputed when read.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(format, forKey: .format)
        try container.encode(version, forKey: .version)
        try container.encode(tool, forKey: .tool)
        try container.encode(reference, forKey: .reference)
        try container.encode(inputs, forKey: .inputs)
        try container.encode(candidates, forKey: .candidates)
        try container.encode(passed, forKey: .passed)
    }
}

/// Where a report's reference came from.
public struct ReferenceSummary: Codable, Equatable, Sendable {
    /// The checkpoint the reference ran from, or `nil` when it was read from a logits file.
    public var checkpoint: String?
    /// The logits file the reference was read from, if it was.
    public var logitsFile: String?
    /// The path the reference ran on (`fp32`), `nil` for a logits file.
    public var path: VerifyPath?

    /// Creates the record.
    public init(checkpoint: String?, logitsFile: String? = nil, path: VerifyPath?) {
        self.checkpoint = checkpoint
        self.logitsFile = logitsFile
        self.path = path
    }

    private enum CodingKeys: String, CodingKey {
        case checkpoint
        case logitsFile = "logits_file"
        case path
    }
}

/// The tokens a report's models ran on.
public struct InputSummary: Codable, Equatable, Sendable {
    /// Where the tokens came from: a file path, or `seed 7` for generated ones.
    public var source: String
    /// Number of sequences.
    public var sequences: Int
    /// Total positions over all sequences.
    public var positions: Int
    /// Length of the longest sequence.
    public var longest: Int

    /// Creates the record.
    public init(source: String, sequences: Int, positions: Int, longest: Int) {
        self.source = source
        self.sequences = sequences
        self.positions = positions
        self.longest = longest
    }
}

/// One candidate's comparison with its reference and its gates.
public struct CandidateReport: Codable, Equatable, Sendable {
    /// The row label: the path, with the world size for a sharded candidate
    /// (`sharded fp8-gemm ×2`).
    public var name: String
    /// The path whose gates apply (``VerifyPath/sharded`` for rank files).
    public var path: VerifyPath
    /// The arithmetic the candidate ran with (never `sharded`).
    public var computePath: VerifyPath
    /// Ranks the candidate ran as (1 unless sharded).
    public var worldSize: Int
    /// What the candidate is: a checkpoint path, or a what-if (`what-if fp8, ue8m0 scales`).
    public var source: String
    /// What it was compared with (`fp32 of ckpt/`, `fp8-gemm of ckpt/, unsharded`).
    public var comparedWith: String
    /// The measurements.
    public var metrics: PathMetrics
    /// Every gate applied, in order.
    public var gates: [GateOutcome]

    /// Creates the record.
    public init(
        name: String, path: VerifyPath, computePath: VerifyPath, worldSize: Int, source: String,
        comparedWith: String, metrics: PathMetrics, gates: [GateOutcome]
    ) {
        self.name = name
        self.path = path
        self.computePath = computePath
        self.worldSize = worldSize
        self.source = source
        self.comparedWith = comparedWith
        self.metrics = metrics
        self.gates = gates
    }

    private enum CodingKeys: String, CodingKey {
        case name, path
        case computePath = "compute_path"
        case worldSize = "world_size"
        case source
        case comparedWith = "compared_with"
        case metrics, gates
    }
}

extension GateOutcome: Codable {
    private enum CodingKeys: String, CodingKey {
        case gate, metric, comparison, bound, measured, status
    }

    /// Decodes an outcome; the gate is rebuilt from its metric, comparison and bound.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .comparison)
        guard let comparison = Gate.Comparison(rawValue: name) else {
            throw DecodingError.dataCorruptedError(
                forKey: .comparison, in: container, debugDescription: "unknown comparison")
        }
        gate = Gate(
            try container.decode(Metric.self, forKey: .metric), comparison,
            try container.decode(Double.self, forKey: .bound))
        measured = try container.decodeIfPresent(Double.self, forKey: .measured)
        status = try container.decode(Status.self, forKey: .status)
    }

    /// Encodes the outcome with the gate both as text and as its parts.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(gate.condition, forKey: .gate)
        try container.encode(gate.metric, forKey: .metric)
        try container.encode(gate.comparison.rawValue, forKey: .comparison)
        try container.encode(gate.bound, forKey: .bound)
        try container.encode(measured, forKey: .measured)
        try container.encode(status, forKey: .status)
    }
}

// MARK: - JSON

extension VerifyReport {
    /// The report as JSON (formats/report.md): sorted keys, two-space indent, non-finite
    /// numbers as the strings `"nan"`, `"inf"`, `"-inf"`.
    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        // Encoding plain values of these types cannot fail.
        var data = try! encoder.encode(self)
        data.append(0x0A)
        return data
    }

    /// Reads a report written by ``jsonData()``.
    /// - Throws: ``VerifyError`` (`invalidRequest`) when the data is not such a report.
    public init(json data: Data) throws(VerifyError) {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            self = try decoder.decode(VerifyReport.self, from: data)
        } catch {
            throw VerifyError(.invalidRequest, "not a verify report: \(error)")
        }
    }
}
