import BlockcastContainers
import BlockcastFormats
import Foundation

/// What `blockcast dequantize` was asked to do.
package struct DequantizeOptions: Sendable {
    /// The FP8 checkpoint: a file, a Hugging Face directory, or a directory of rank files.
    package var input: String
    /// The output directory.
    package var output: String
    /// The type FP8 weights become: bfloat16 (default) or float32 (`--to`).
    package var target: DType = .bfloat16
    /// Replace the output directory's checkpoint files (`--force`).
    package var force = false
    /// Keep files an interrupted run finished (`--resume`).
    package var resume = false

    /// Options with defaults for everything but the paths.
    package init(input: String, output: String) {
        self.input = input
        self.output = output
    }
}

/// `blockcast dequantize`: FP8 E4M3 weights with their block scales back to bfloat16 or
/// float32 (`W' = float32(Q) · scale_inv`, then rounded to bfloat16 unless float32 is asked).
///
/// The output keeps the input's files and names: each input file becomes one output file of
/// the same name without its scale tensors, so Hugging Face checkpoints (`…weight` +
/// `…weight_scale_inv`, any number of files) and rank files (`….weight` + `….scale`, one per
/// rank) both come out in their own layout. `quantization_config` leaves the config. With
/// `--to float32`, every other floating-point tensor becomes float32 too.
package struct DequantizePipeline {
    /// The options.
    package let options: DequantizeOptions

    /// The name of the hidden folder holding the plan and the per-file markers.
    package static let stateName = ".blockcast-dequantize"

    /// A pipeline for `options`.
    package init(options: DequantizeOptions) {
        self.options = options
    }

    /// One output tensor: where it comes from and what it becomes.
    package struct Item: Sendable {
        /// The input tensor.
        package let source: TensorInfo
        /// Its scale, for an FP8 weight.
        package let scale: TensorInfo?
        /// The output element type.
        package let dtype: DType
    }

    /// The opened input and what each output file holds.
    package struct Prepared: Sendable {
        /// The input.
        package let checkpoint: Checkpoint
        /// Output files (named as the input's) with their items, in input order.
        package let files: [(name: String, items: [Item])]
        /// The output config, if the input had one.
        package let config: JSONValue?
    }

    /// Opens the input and pairs every FP8 weight with its scale; throws, naming the tensor,
    /// for a weight without a scale, a scale of the wrong shape or type, or a scale whose
    /// weight is not FP8.
    package func prepare() throws -> Prepared {
        let checkpoint = try Checkpoint.open(options.input)
        let input = OutputFiles.canonical(options.input)
        let output = OutputFiles.canonical(options.output)
        if OutputFiles.isSameOrInside(output, input) || OutputFiles.isSameOrInside(input, output) {
            throw QuantizeError.outputInsideInput(input: options.input, output: options.output)
        }

        // Scales are looked up in the weight's own file first (rank files hold the same names
        // in every file), then anywhere (Hugging Face checkpoints may split a pair).
        var byFile: [String: [String: TensorInfo]] = [:]
        for info in checkpoint.tensors { byFile[info.file, default: [:]][info.name] = info }
        func lookup(_ name: String, near file: String) -> TensorInfo? {
            byFile[file]?[name] ?? checkpoint.info(name)
        }

        var usedScales = Set<String>()
        var files: [(name: String, items: [Item])] = []
        var sawFP8 = false
        for file in checkpoint.files {
            var items: [Item] = []
            for info in checkpoint.tensors where info.file == file {
                if TensorName.weightName(forScale: info.name) != nil { continue }
                if info.dtype == .float8E5M2 || info.dtype == .float8E8M0 {
                    throw QuantizeError.unsupportedType(
                        tensor: info.name, dtype: info.dtype.hdf5AttributeName)
                }
                guard info.dtype == .float8E4M3FN else {
                    items.append(Item(source: info, scale: nil, dtype: outputType(of: info)))
                    continue
                }
                sawFP8 = true
                let scale = try findScale(of: info, lookup: { lookup($0, near: file) })
                usedScales.insert(scale.file + "/" + scale.name)
                items.append(Item(source: info, scale: scale, dtype: options.target))
            }
            files.append((file, items))
        }
        guard sawFP8 else { throw QuantizeError.nothingToDequantize(path: options.input) }

        // A scale nobody used belongs to a weight that is missing or not FP8.
        for info in checkpoint.tensors where TensorName.weightName(forScale: info.name) != nil {
            guard !usedScales.contains(info.file + "/" + info.name) else { continue }
            let weight = TensorName.weightName(forScale: info.name)!
            let found = lookup(weight, near: info.file)
            throw QuantizeError.badScale(
                tensor: weight, scale: info.name, expected: "the scale of an FP8 weight",
                found: found.map { "beside a \($0.dtype.hdf5AttributeName) weight" }
                    ?? "without its weight")
        }

        var config = checkpoint.config?.objectValue
        config?["quantization_config"] = nil
        if config?["torch_dtype"] != nil {
            config?["torch_dtype"] = .string(options.target.hdf5AttributeName)
        }
        return Prepared(checkpoint: checkpoint, files: files, config: config.map { .object($0) })
    }

    private func outputType(of info: TensorInfo) -> DType {
        guard options.target == .float32, info.dtype.isFloatingPoint else { return info.dtype }
        return .float32
    }

    private func findScale(
        of weight: TensorInfo, lookup: (String) -> TensorInfo?
    ) throws(QuantizeError) -> TensorInfo {
        let names = [NamingStyle.huggingFace, .inference].compactMap {
            TensorName.scaleName(forWeight: weight.name, style: $0)
        }
        guard let scale = names.lazy.compactMap(lookup).first else {
            throw .missingScale(
                tensor: weight.name, expected: names.first ?? weight.name + "_scale_inv")
        }
        let tiles =
            weight.shape.count == 2
            ? BlockShape.deepSeek.tileCounts(rows: weight.shape[0], columns: weight.shape[1])
            : (rows: -1, columns: -1)
        let expected = [tiles.rows, tiles.columns]
        guard weight.shape.count == 2, scale.shape == expected else {
            throw .badScale(
                tensor: weight.name, scale: scale.name,
                expected: "of shape \(expected) for a weight of shape \(weight.shape)",
                found: "of shape \(scale.shape)")
        }
        guard [.float32, .float8E8M0, .bfloat16].contains(scale.dtype) else {
            throw .badScale(
                tensor: weight.name, scale: scale.name, expected: "float32 or e8m0",
                found: scale.dtype.hdf5AttributeName)
        }
        return scale
    }

    /// Writes every output file, then the index, the config and the manifest.
    package func run(_ prepared: Prepared, progress: (Int, Int) -> Void = { _, _ in }) throws {
        let planned = prepared.files.map { file in
            PlannedFile(
                name: file.name,
                tensors: file.items.map { ($0.source.name, $0.dtype, $0.source.shape) })
        }
        let format = prepared.checkpoint.format
        let hasIndex =
            OutputFiles.exists(
                (prepared.checkpoint.root as NSString).appendingPathComponent(
                    "model.safetensors.index.json"))
            && format == .safetensors && prepared.checkpoint.worldSize == nil
        var merged = ["config.json", Manifest.fileName]
        if hasIndex { merged.insert("model.safetensors.index.json", at: 0) }

        var fingerprint = "dequantize v1|\(options.target.rawValue)|"
        for file in planned {
            fingerprint += file.name + ":" + file.tensors.map { "\($0)" }.joined() + ";"
        }
        let output = PartitionedOutput(
            directory: options.output, files: planned, container: format, mergedNames: merged,
            fingerprint: QuantizationConfig.digest(fingerprint), stateName: Self.stateName,
            partIndex: 0, partCount: 1, resume: options.resume, force: options.force)

        do {
            try output.prepare()
            var done = 0
            var bytes = 0
            for index in planned.indices where !output.resumedFiles.contains(index) {
                try output.write(
                    file: index,
                    makeWriter: { path, file in
                        try makeWriter(path: path, planned: file, format: format, prepared)
                    },
                    produce: { writer in
                        for item in prepared.files[index].items {
                            let tensor = try convert(item, prepared.checkpoint)
                            try writer.write(name: item.source.name, tensor: tensor)
                            done += 1
                            bytes += item.source.byteCount
                            progress(done, bytes)
                        }
                        return .null
                    })
            }
            _ = try output.finish {
                if hasIndex {
                    var weightMap: [String: JSONValue] = [:]
                    var total = 0
                    for file in planned {
                        for tensor in file.tensors {
                            weightMap[tensor.name] = .string(file.name)
                            total += tensor.shape.reduce(1, *) * tensor.dtype.byteWidth
                        }
                    }
                    let index: JSONValue = [
                        "metadata": ["total_size": .integer(total)],
                        "weight_map": .object(weightMap),
                    ]
                    try OutputFiles.writeAtomically(
                        index.prettySerialized() + "\n",
                        to: output.path("model.safetensors.index.json"))
                }
                if let config = prepared.config {
                    try OutputFiles.writeAtomically(
                        config.prettySerialized() + "\n", to: output.path("config.json"))
                }
            }
        } catch {
            output.discardAfterFailure()
            throw error
        }
    }

    private func makeWriter(
        path: String, planned: PlannedFile, format: ContainerFormat, _ prepared: Prepared
    ) throws -> any TensorFileWriting {
        switch format {
        case .safetensors:
            return try SafetensorsFileWriter(path: path, planned: planned)
        case .hdf5:
            return try HDF5FileWriter(
                path: path, planned: planned, config: prepared.config, zstdLevel: nil)
        }
    }

    /// The output tensor of `item`.
    private func convert(_ item: Item, _ checkpoint: Checkpoint) throws -> Tensor {
        let input = try checkpoint.read(item.source)
        guard let scaleInfo = item.scale else {
            guard item.dtype != input.dtype else { return input }
            let values = try input.floats()
            return Tensor(floats: values, shape: input.shape)
        }

        let scales = try checkpoint.read(scaleInfo).floats()
        let rows = item.source.shape[0]
        let columns = item.source.shape[1]
        return input.withUnsafeBytes { raw in
            let codes = raw.bindMemory(to: UInt8.self)
            return scales.withUnsafeBufferPointer { scales in
                Tensor(dtype: item.dtype, shape: item.source.shape) { out in
                    if item.dtype == .float32 {
                        BlockQuantizer.dequantize(
                            codes: codes, scaleInverse: scales, rows: rows, columns: columns,
                            into: out.bindMemory(to: Float.self))
                    } else {
                        BlockQuantizer.dequantizeToBFloat16(
                            codes: codes, scaleInverse: scales, rows: rows, columns: columns,
                            into: out.bindMemory(to: UInt16.self))
                    }
                }
            }
        }
    }
}
