import BlockcastContainers
import BlockcastFormats
import Foundation

/// `blockcast quantize`: full-precision weights to FP8 E4M3 in 128 × 128 blocks (or to
/// bfloat16), streamed tensor by tensor into several output files.
///
/// Memory holds one input tensor, its float32 values and its converted form at a time.
/// Output files are complete or absent (see ``PartitionedOutput``), so an interrupted run
/// resumes with `--resume` and gives the same bytes as an uninterrupted one; bytes never
/// depend on `--threads` or `--part`.
package struct QuantizePipeline {
    /// The options.
    package let options: QuantizeOptions

    /// The name of the hidden folder holding the plan and the per-file markers.
    package static let stateName = ".blockcast-quantize"

    /// A pipeline for `options`.
    package init(options: QuantizeOptions) {
        self.options = options
    }

    /// The opened input and the plan, checked: nothing has been written when this throws.
    package struct Prepared: Sendable {
        /// The input checkpoint.
        package let checkpoint: Checkpoint
        /// The plan.
        package let plan: QuantizePlan
        /// The output container.
        package let format: ContainerFormat
        /// The output `config.json`.
        package let config: JSONValue
    }

    /// Opens the input, refuses what cannot be converted, and plans the output.
    package func prepare() throws -> Prepared {
        let checkpoint = try Checkpoint.open(options.input)

        // An FP8 checkpoint would be quantized twice; name the first tensor that shows it.
        if let quantized = checkpoint.tensors.first(where: {
            $0.dtype.isFloat8 || $0.name.hasSuffix("_scale_inv")
        }) {
            throw QuantizeError.alreadyQuantized(
                tensor: quantized.name, dtype: quantized.dtype.hdf5AttributeName)
        }
        // A weight held as integers (an HDF5 bfloat16 dataset without its dtype attribute
        // reads as U16) would be kept as it is: never a silent skip.
        if let integer = checkpoint.tensors.first(where: {
            !$0.dtype.isFloatingPoint && $0.name.hasSuffix(".weight")
        }) {
            throw QuantizeError.integerWeight(
                tensor: integer.name, file: integer.file, dtype: integer.dtype.rawValue)
        }
        try checkPaths()

        let names = checkpoint.tensors.map(\.name)
        if let unmatched = options.policy.unmatchedPatterns(in: names).first {
            throw QuantizeError.patternMatchesNothing(
                option: unmatched.option, pattern: unmatched.pattern)
        }

        let format = options.format ?? checkpoint.format
        if options.zstdLevel != nil && format != .hdf5 {
            throw QuantizeError.badOption(
                "--compress applies to HDF5 output only; the output format is \(format).")
        }
        let plan = QuantizePlan(
            tensors: checkpoint.tensors, policy: options.policy,
            scaleFormat: options.scaleFormat, scaleStorage: options.scaleStorage,
            format: format, maxFileBytes: options.maxFileBytes)
        let config = QuantizationConfig.outputConfig(
            input: checkpoint.config, plan: plan, scaleFormat: options.scaleFormat)
        return Prepared(checkpoint: checkpoint, plan: plan, format: format, config: config)
    }

    /// Refuses an output that is the input, lies inside it, or holds it.
    private func checkPaths() throws(QuantizeError) {
        let input = OutputFiles.canonical(options.input)
        let output = OutputFiles.canonical(options.output)
        if OutputFiles.isSameOrInside(output, input) || OutputFiles.isSameOrInside(input, output) {
            throw .outputInsideInput(input: options.input, output: options.output)
        }
    }

    /// What a run did.
    package struct Outcome: Sendable {
        /// The statistics of every FP8 tensor this process knows of (all of them once merged).
        package var statistics: [String: QuantizationStatistics] = [:]
        /// Files written by this run.
        package var writtenFiles: [String] = []
        /// Files an earlier run had finished (`--resume`).
        package var resumedFiles: [String] = []
        /// Whether this process wrote the merged files.
        package var merged = false
        /// Files other parts still have to write (empty once merged).
        package var waitingFor: [String] = []
        /// Input bytes converted by this run.
        package var bytesConverted = 0
    }

    /// Converts the planned tensors this part owns and merges when everything is done.
    /// `progress(tensorsDone, bytesDone)` is called after each tensor.
    package func run(
        _ prepared: Prepared, progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> Outcome {
        let plan = prepared.plan
        let output = makeOutput(prepared)
        var outcome = Outcome()

        // A merge asked for after the parts already merged has nothing left to do.
        if options.mergeOnly && OutputFiles.exists(output.path(Manifest.fileName))
            && !OutputFiles.exists(output.path(Self.stateName))
        {
            outcome.merged = true
            return outcome
        }
        do {
            try output.prepare()
            outcome.resumedFiles = output.resumedFiles.map { plan.files[$0].name }

            if !options.mergeOnly {
                var tensorsDone = 0
                var bytesDone = 0
                for file in output.myFiles where !output.resumedFiles.contains(file) {
                    try output.write(
                        file: file,
                        makeWriter: { path, planned in
                            try makeWriter(path: path, planned: planned, prepared: prepared)
                        },
                        produce: { writer in
                            try convert(
                                file: file, prepared: prepared, writer: writer,
                                progress: { bytes in
                                    tensorsDone += 1
                                    bytesDone += bytes
                                    progress(tensorsDone, bytesDone)
                                })
                        })
                    outcome.writtenFiles.append(plan.files[file].name)
                }
                outcome.bytesConverted = bytesDone
            }

            let result = try output.finish(takeOverLock: options.mergeOnly) {
                try writeMergedFiles(prepared, output: output)
            }
            switch result {
            case .merged:
                outcome.merged = true
            case .waiting(let missing):
                if options.mergeOnly {
                    throw QuantizeError.mergeNotPossible(
                        path: options.output,
                        reason: "\(missing.count) file(s) are not finished, e.g. \(missing[0])")
                }
                outcome.waitingFor = missing
            case .mergedElsewhere:
                break
            }
            outcome.statistics = Self.statistics(from: output.reports)
        } catch {
            output.discardAfterFailure()
            throw error
        }
        return outcome
    }

    private func makeOutput(_ prepared: Prepared) -> PartitionedOutput {
        let plan = prepared.plan
        let files = plan.files.indices.map { index in
            PlannedFile(
                name: plan.files[index].name,
                tensors: plan.outputTensors(ofFile: index))
        }
        return PartitionedOutput(
            directory: options.output, files: files, container: prepared.format,
            mergedNames: QuantizationConfig.mergedNames(format: prepared.format, files: files),
            fingerprint: fingerprint(prepared), stateName: Self.stateName,
            partIndex: options.partIndex, partCount: options.partCount,
            resume: options.resume || options.mergeOnly, force: options.force)
    }

    /// Writes the tensors of `file` and returns the marker's report (per-tensor statistics).
    ///
    /// Reading the next tensor and writing the previous one overlap with the conversion
    /// (see ``OverlappedStages``); the order of the output is that of the plan.
    private func convert(
        file: Int, prepared: Prepared, writer: any TensorFileWriting, progress: (Int) -> Void
    ) throws -> JSONValue {
        let plan = prepared.plan
        let checkpoint = prepared.checkpoint
        let entries = plan.files[file].entries.map { plan.entries[$0] }
        let infos = try entries.map { entry -> TensorInfo in
            guard let info = checkpoint.info(entry.name) else {
                throw QuantizeError.input("Tensor '\(entry.name)' vanished from the input.")
            }
            return info
        }
        let output = UncheckedWriter(writer)
        var report: [String: JSONValue] = [:]
        try OverlappedStages.run(
            count: entries.count,
            read: { index in try checkpoint.read(infos[index]) },
            process: { index, input -> [(name: String, tensor: Tensor)] in
                let entry = entries[index]
                let converted = try TensorConverter.convert(
                    input, entry: entry, scaleFormat: options.scaleFormat,
                    allowNonFinite: options.allowNonFinite,
                    file: (checkpoint.root as NSString).appendingPathComponent(infos[index].file),
                    measureBFloat16: options.policy.mode == .bf16)
                if let statistics = converted.statistics {
                    report[entry.name] = try QuantizationConfig.encode(statistics)
                }
                progress(entry.inputBytes)
                return converted.tensors
            },
            write: { _, tensors in
                for (name, tensor) in tensors {
                    try output.writer.write(name: name, tensor: tensor)
                }
            })
        return .object(report)
    }

    private func makeWriter(
        path: String, planned: PlannedFile, prepared: Prepared
    ) throws -> any TensorFileWriting {
        switch prepared.format {
        case .safetensors:
            return try SafetensorsFileWriter(path: path, planned: planned)
        case .hdf5:
            return try HDF5FileWriter(
                path: path, planned: planned, config: prepared.config,
                zstdLevel: options.zstdLevel)
        }
    }

    /// The index (multi-file safetensors) and `config.json` (the manifest follows them).
    private func writeMergedFiles(_ prepared: Prepared, output: PartitionedOutput) throws {
        let plan = prepared.plan
        if prepared.format == .safetensors && plan.files.count > 1 {
            var weightMap: [String: JSONValue] = [:]
            for (index, file) in plan.files.enumerated() {
                for tensor in plan.outputTensors(ofFile: index) {
                    weightMap[tensor.name] = .string(file.name)
                }
            }
            let index: JSONValue = [
                "metadata": ["total_size": .integer(plan.outputBytes)],
                "weight_map": .object(weightMap),
            ]
            try OutputFiles.writeAtomically(
                index.prettySerialized() + "\n",
                to: output.path("model.safetensors.index.json"))
        }
        try OutputFiles.writeAtomically(
            prepared.config.prettySerialized() + "\n", to: output.path("config.json"))
    }

    /// A digest of everything that decides the output bytes.
    private func fingerprint(_ prepared: Prepared) -> String {
        var text = "quantize v1|\(prepared.format)|\(options.zstdLevel ?? -1)|"
        text += "\(options.scaleFormat.rawValue)|\(options.scaleStorage.rawValue)|"
        for entry in prepared.plan.entries {
            text += "\(entry.name):\(entry.sourceDType.rawValue):\(entry.shape):"
            text += "\(entry.outputDType.rawValue):\(entry.file);"
        }
        text += prepared.config.serialized()
        return QuantizationConfig.digest(text)
    }

    private static func statistics(
        from reports: [Int: JSONValue]
    ) -> [String: QuantizationStatistics] {
        var all: [String: QuantizationStatistics] = [:]
        for report in reports.values {
            for (name, value) in report.objectValue ?? [:] {
                if let statistics = QuantizationConfig.decode(value) { all[name] = statistics }
            }
        }
        return all
    }
}

/// A file writer handed to the write stage; only that stage uses it until the file is
/// committed, after the stages have finished.
private final class UncheckedWriter: @unchecked Sendable {
    let writer: any TensorFileWriting

    init(_ writer: any TensorFileWriting) { self.writer = writer }
}
