/// Why `quantize` or `dequantize` refused to run or stopped; every case is caused by input or
/// options, and the command exits with status 2 after removing what it had started to write.
package enum QuantizeError: Error, Equatable, CustomStringConvertible {
    /// A `--include`/`--exclude` pattern that does not parse (`[a-`).
    case badPattern(String, reason: String)
    /// A pattern that matches no tensor of the input (`--include '*.expert.*'`, a typo).
    case patternMatchesNothing(option: String, pattern: String)
    /// A weight holds NaN or ±inf; `index` is the flat index of the first bad element.
    case nonFinite(tensor: String, file: String, index: Int, value: Float)
    /// The input is already FP8 (has FP8 tensors or `weight_scale_inv` tensors).
    case alreadyQuantized(tensor: String, dtype: String)
    /// The output directory is the input or lies inside it.
    case outputInsideInput(input: String, output: String)
    /// The output directory holds files already and neither `--force` nor `--resume` was given.
    case outputExists(path: String)
    /// `--resume` found output files that do not belong to the same plan.
    case resumeMismatch(path: String, reason: String)
    /// A tensor of a type the command cannot convert (integers, float64 weights).
    case unsupportedType(tensor: String, dtype: String)
    /// A model weight stored as integers: `model.norm.weight` read as `U16` because an HDF5
    /// bfloat16 dataset lost its `dtype` attribute.
    case integerWeight(tensor: String, file: String, dtype: String)
    /// An FP8 weight has no scale tensor beside it.
    case missingScale(tensor: String, expected: String)
    /// A scale tensor's shape or type does not fit its weight.
    case badScale(tensor: String, scale: String, expected: String, found: String)
    /// The input has no FP8 weight to dequantize.
    case nothingToDequantize(path: String)
    /// Another process holds the merge lock, or a merge was asked for before all parts ended.
    case mergeNotPossible(path: String, reason: String)
    /// An option value that cannot be used (`--compress zstd:99`).
    case badOption(String)
    /// Reading or writing a file failed at the operating-system level.
    case io(path: String, reason: String)
    /// The input checkpoint could not be read (its container error, as a sentence).
    case input(String)

    /// A sentence naming the tensor, file or pattern, what was expected and what was found.
    package var description: String {
        switch self {
        case .badPattern(let pattern, let reason):
            return "The pattern '\(pattern)' cannot be used: \(reason)."
        case .patternMatchesNothing(let option, let pattern):
            return "The pattern '\(pattern)' given to \(option) matches no tensor of the input; "
                + "check the spelling (patterns match whole names, '*' spans dots)."
        case .nonFinite(let tensor, let file, let index, let value):
            return "Tensor '\(tensor)' in \(file) holds a non-finite value (\(value)) at "
                + "element \(index); pass --allow-nonfinite to convert it anyway."
        case .alreadyQuantized(let tensor, let dtype):
            return "The input is already quantized: tensor '\(tensor)' is \(dtype). "
                + "Run 'blockcast dequantize' first to get a full-precision checkpoint."
        case .outputInsideInput(let input, let output):
            return "The output \(output) lies inside the input \(input); choose a directory "
                + "outside it."
        case .outputExists(let path):
            return "The output directory \(path) is not empty; pass --force to overwrite it or "
                + "--resume to finish an interrupted run."
        case .resumeMismatch(let path, let reason):
            return "Cannot resume into \(path): \(reason). Pass --force to start over."
        case .unsupportedType(let tensor, let dtype):
            return "Tensor '\(tensor)' has type \(dtype), which this command cannot convert."
        case .integerWeight(let tensor, let file, let dtype):
            return "Tensor '\(tensor)' in \(file) is \(dtype), not float32, float16 or "
                + "bfloat16; a weight stored as integers would pass through unconverted. (An "
                + "HDF5 bfloat16 or FP8 dataset needs its 'dtype' attribute: "
                + "formats/hdf5-layout.md.)"
        case .missingScale(let tensor, let expected):
            return "FP8 tensor '\(tensor)' has no scale tensor '\(expected)' beside it."
        case .badScale(let tensor, let scale, let expected, let found):
            return "Scale '\(scale)' of tensor '\(tensor)' should be \(expected) but is \(found)."
        case .nothingToDequantize(let path):
            return "\(path) holds no FP8 weight to dequantize."
        case .mergeNotPossible(let path, let reason):
            return "Cannot merge the parts in \(path): \(reason)."
        case .badOption(let message):
            return message
        case .io(let path, let reason):
            return "Could not write \(path): \(reason)."
        case .input(let message):
            return message
        }
    }
}
