import BlockcastContainers
import BlockcastFormats

/// Everything `quantize` will write, decided before any data is read: each tensor's target,
/// the output files and which tensors each holds.
///
/// The plan depends only on the input's tensor list and the options, never on `--threads` or
/// `--part`, so every process of a multi-part run computes the same plan and the same file
/// names, and a resumed run can tell which files are already done.
package struct QuantizePlan: Sendable {
    /// One input tensor and what it becomes.
    package struct Entry: Sendable {
        /// The tensor's name, kept in the output.
        package let name: String
        /// The input element type.
        package let sourceDType: DType
        /// The shape (unchanged by quantization).
        package let shape: [Int]
        /// What the tensor becomes.
        package let target: TensorTarget
        /// The element type written.
        package let outputDType: DType
        /// The scale tensor written beside an FP8 weight.
        package let scale: (name: String, dtype: DType, shape: [Int])?
        /// The index of the output file in ``QuantizePlan/files``.
        package let file: Int

        /// Bytes the input holds for this tensor.
        package var inputBytes: Int { shape.reduce(1, *) * sourceDType.byteWidth }

        /// Bytes written for this tensor, scale included.
        package var outputBytes: Int {
            let scaleBytes = scale.map { $0.shape.reduce(1, *) * $0.dtype.byteWidth } ?? 0
            return shape.reduce(1, *) * outputDType.byteWidth + scaleBytes
        }
    }

    /// One output file and the entries (indices into ``QuantizePlan/entries``) it holds, in
    /// order.
    package struct File: Sendable {
        /// The file name inside the output directory.
        package let name: String
        /// Indices of the entries written to it, in order.
        package let entries: [Int]
        /// The bytes of tensor data it holds.
        package let dataBytes: Int
    }

    /// Every input tensor, in output order.
    package let entries: [Entry]
    /// The output files, in order.
    package let files: [File]

    /// Sum of the input tensors' bytes.
    package var inputBytes: Int { entries.reduce(0) { $0 + $1.inputBytes } }
    /// Sum of the output tensors' bytes (headers excluded).
    package var outputBytes: Int { entries.reduce(0) { $0 + $1.outputBytes } }

    /// The default limit on one output file's data, 4 GiB (files are split by layer first).
    package static let defaultMaxFileBytes = 4 << 30

    /// Plans the conversion of `tensors` under `policy`.
    ///
    /// Tensors are grouped by layer (`model.layers.N.`, everything else first) and sorted by
    /// name with numbers compared as numbers; a new file starts at each layer and whenever the
    /// next tensor would push a file past `maxFileBytes`.
    package init(
        tensors: [TensorInfo], policy: TensorPolicy, scaleFormat: ScaleFormat,
        scaleStorage: DType, format: ContainerFormat, maxFileBytes: Int = defaultMaxFileBytes
    ) {
        let ordered = tensors.sorted { Self.orderKey($0.name) < Self.orderKey($1.name) }

        // First the grouping, with provisional file numbers; names need the final count.
        var entries: [Entry] = []
        var fileEntries: [[Int]] = []
        var fileBytes: [Int] = []
        var currentGroup: Int?
        for info in ordered {
            let target = policy.target(name: info.name, dtype: info.dtype, shape: info.shape)
            let outputDType = Self.outputDType(target, source: info.dtype)
            var scale: (name: String, dtype: DType, shape: [Int])?
            if target == .fp8 {
                let tiles = BlockShape.deepSeek.tileCounts(
                    rows: info.shape[0], columns: info.shape[1])
                scale = (info.name + "_scale_inv", scaleStorage, [tiles.rows, tiles.columns])
            }
            let group = Self.layerIndex(info.name) ?? -1
            let provisional = Entry(
                name: info.name, sourceDType: info.dtype, shape: info.shape, target: target,
                outputDType: outputDType, scale: scale, file: 0)
            let bytes = provisional.outputBytes
            if currentGroup != group || fileBytes.isEmpty
                || (fileBytes[fileBytes.count - 1] > 0
                    && fileBytes[fileBytes.count - 1] + bytes > maxFileBytes)
            {
                fileEntries.append([])
                fileBytes.append(0)
                currentGroup = group
            }
            fileEntries[fileEntries.count - 1].append(entries.count)
            fileBytes[fileBytes.count - 1] += bytes
            entries.append(
                Entry(
                    name: info.name, sourceDType: info.dtype, shape: info.shape, target: target,
                    outputDType: outputDType, scale: scale, file: fileEntries.count - 1))
        }

        let suffix = format == .hdf5 ? "h5" : "safetensors"
        let count = fileEntries.count
        self.entries = entries
        self.files = fileEntries.indices.map { index in
            File(
                name: Self.fileName(index: index, count: count, suffix: suffix),
                entries: fileEntries[index], dataBytes: fileBytes[index])
        }
    }

    /// `model-00002-of-00005.safetensors`, the Hugging Face spelling (one file: `model.…`).
    package static func fileName(index: Int, count: Int, suffix: String) -> String {
        if count == 1 { return "model.\(suffix)" }
        func padded(_ n: Int) -> String {
            let digits = String(n)
            return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
        }
        return "model-\(padded(index + 1))-of-\(padded(count)).\(suffix)"
    }

    /// The tensors, in order, that file `index` holds: each entry, then its scale.
    package func outputTensors(ofFile index: Int) -> [(name: String, dtype: DType, shape: [Int])] {
        var tensors: [(name: String, dtype: DType, shape: [Int])] = []
        for entryIndex in files[index].entries {
            let entry = entries[entryIndex]
            tensors.append((entry.name, entry.outputDType, entry.shape))
            if let scale = entry.scale { tensors.append(scale) }
        }
        return tensors
    }

    private static func outputDType(_ target: TensorTarget, source: DType) -> DType {
        switch target {
        case .fp8: .float8E4M3FN
        case .bfloat16: .bfloat16
        case .float32: .float32
        case .keep: source
        }
    }

    /// The block index of `model.layers.N.…`, or nil.
    package static func layerIndex(_ name: String) -> Int? {
        let prefix = "model.layers."
        guard name.hasPrefix(prefix) else { return nil }
        let rest = name.dropFirst(prefix.count)
        return Int(rest.prefix { $0.isNumber })
    }

    /// A sort key: the layer group, then the name's components with numbers compared as
    /// numbers (`experts.2` before `experts.10`).
    private static func orderKey(_ name: String) -> OrderKey {
        OrderKey(
            group: layerIndex(name) ?? -1,
            components: name.split(separator: ".").map {
                if let number = Int($0) { return .number(number) }
                return .text(String($0))
            })
    }
}

/// The order of tensors in a plan (see ``QuantizePlan`` init).
private struct OrderKey: Comparable {
    enum Component: Comparable {
        case number(Int)
        case text(String)
    }

    var group: Int
    var components: [Component]

    static func < (lhs: OrderKey, rhs: OrderKey) -> Bool {
        if lhs.group != rhs.group { return lhs.group < rhs.group }
        return lhs.components.lexicographicallyPrecedes(rhs.components)
    }
}
