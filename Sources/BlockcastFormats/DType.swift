/// The element types a checkpoint tensor can have.
///
/// The raw values are the safetensors spellings, which double as the names written into
/// reports. HDF5 has no native bfloat16 or FP8 type, so those are stored as unsigned integers
/// of their width with a `dtype` attribute holding ``hdf5AttributeName``.
public enum DType: String, Sendable, CaseIterable, Codable {
    case float32 = "F32"
    case float16 = "F16"
    case bfloat16 = "BF16"
    case float8E4M3FN = "F8_E4M3"
    case float8E5M2 = "F8_E5M2"
    case float8E8M0 = "F8_E8M0"
    case float64 = "F64"
    case bool = "BOOL"
    case int8 = "I8"
    case uint8 = "U8"
    case int16 = "I16"
    case uint16 = "U16"
    case int32 = "I32"
    case uint32 = "U32"
    case int64 = "I64"
    case uint64 = "U64"

    /// Bytes one element occupies.
    public var byteWidth: Int {
        switch self {
        case .float8E4M3FN, .float8E5M2, .float8E8M0, .bool, .int8, .uint8: 1
        case .float16, .bfloat16, .int16, .uint16: 2
        case .float32, .int32, .uint32: 4
        case .float64, .int64, .uint64: 8
        }
    }

    /// Whether the type holds real numbers (as opposed to integers or booleans).
    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float16, .bfloat16, .float8E4M3FN, .float8E5M2, .float8E8M0, .float64:
            true
        default:
            false
        }
    }

    /// Whether the type is one of the one-byte FP8 formats (including the e8m0 scale format).
    public var isFloat8: Bool {
        self == .float8E4M3FN || self == .float8E5M2 || self == .float8E8M0
    }

    /// The name this project and PyTorch use for the type (`float8_e4m3fn`, `bfloat16`, …);
    /// HDF5 datasets without a native type carry it in their `dtype` attribute.
    public var hdf5AttributeName: String {
        switch self {
        case .float32: "float32"
        case .float16: "float16"
        case .bfloat16: "bfloat16"
        case .float8E4M3FN: "float8_e4m3fn"
        case .float8E5M2: "float8_e5m2"
        case .float8E8M0: "e8m0"
        case .float64: "float64"
        case .bool: "bool"
        case .int8: "int8"
        case .uint8: "uint8"
        case .int16: "int16"
        case .uint16: "uint16"
        case .int32: "int32"
        case .uint32: "uint32"
        case .int64: "int64"
        case .uint64: "uint64"
        }
    }

    /// The type named by a safetensors dtype string or by a project/PyTorch name, if any.
    public init?(name: String) {
        if let direct = DType(rawValue: name) {
            self = direct
            return
        }
        guard let match = DType.allCases.first(where: { $0.hdf5AttributeName == name }) else {
            return nil
        }
        self = match
    }
}
