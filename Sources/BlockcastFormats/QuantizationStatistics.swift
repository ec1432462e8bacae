/// How much precision quantizing one tensor lost.
///
/// `sqnrDecibels` is `+inf` when the dequantized tensor equals the input. Non-finite numbers
/// are written as the strings `"inf"`, `"-inf"` and `"nan"` when encoded, because JSON has no
/// spelling for them.
public struct QuantizationStatistics: Sendable, Codable, Equatable {
    /// Elements in the tensor.
    public var elementCount: Int
    /// `10·log10(Σ W² / Σ (W − W')²)`.
    public var sqnrDecibels: Double
    /// `max |W − W'|`.
    public var maxAbsoluteError: Float
    /// The largest `|W − W'|` of a tile divided by that tile's (floored) amax, over all tiles.
    public var maxErrorRelativeToAmax: Float
    /// Elements that were non-zero and became zero.
    public var flushedToZero: Int

    /// Creates statistics from their values.
    public init(
        elementCount: Int, sqnrDecibels: Double, maxAbsoluteError: Float,
        maxErrorRelativeToAmax: Float, flushedToZero: Int
    ) {
        self.elementCount = elementCount
        self.sqnrDecibels = sqnrDecibels
        self.maxAbsoluteError = maxAbsoluteError
        self.maxErrorRelativeToAmax = maxErrorRelativeToAmax
        self.flushedToZero = flushedToZero
    }

    /// The SQNR in decibels of a signal with energy `signal` and error energy `noise`.
    public static func sqnr(signal: Double, noise: Double) -> Double {
        if noise == 0 { return .infinity }
        return 10 * log10(signal / noise)
    }

    private enum CodingKeys: String, CodingKey {
        case elementCount, sqnrDecibels, maxAbsoluteError, maxErrorRelativeToAmax, flushedToZero
    }

    /// Decodes statistics, accepting the string spellings of non-finite numbers.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        elementCount = try container.decode(Int.self, forKey: .elementCount)
        sqnrDecibels = try Self.decodeReal(container, .sqnrDecibels)
        maxAbsoluteError = Float(try Self.decodeReal(container, .maxAbsoluteError))
        maxErrorRelativeToAmax = Float(try Self.decodeReal(container, .maxErrorRelativeToAmax))
        flushedToZero = try container.decode(Int.self, forKey: .flushedToZero)
    }

    /// Encodes statistics, spelling non-finite numbers as strings.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(elementCount, forKey: .elementCount)
        try Self.encodeReal(sqnrDecibels, &container, .sqnrDecibels)
        try Self.encodeReal(Double(maxAbsoluteError), &container, .maxAbsoluteError)
        try Self.encodeReal(Double(maxErrorRelativeToAmax), &container, .maxErrorRelativeToAmax)
        try container.encode(flushedToZero, forKey: .flushedToZero)
    }

    private static func encodeReal(
        _ value: Double, _ container: inout KeyedEncodingContainer<CodingKeys>, _ key: CodingKeys
    ) throws {
        if value.isFinite {
            try container.encode(value, forKey: key)
        } else {
            try container.encode(value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf"), forKey: key)
        }
    }

    private static func decodeReal(
        _ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys
    ) throws -> Double {
        if let number = try? container.decode(Double.self, forKey: key) { return number }
        let text = try container.decode(String.self, forKey: key)
        switch text {
        case "inf": return .infinity
        case "-inf": return -.infinity
        case "nan": return .nan
        default:
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container, debugDescription: "expected a number, found '\(text)'")
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
