import BlockcastContainers
import BlockcastFormats
import BlockcastModel
import Foundation

/// What `inspect` says about a checkpoint: every tensor, totals per dtype, the model config
/// and how completely the FP8 weights carry block scales.
package struct InspectReport: Sendable {
    /// One row of the tensor table.
    package struct Row: Sendable, Hashable {
        /// The tensor name.
        package let name: String
        /// The element type.
        package let dtype: DType
        /// The shape.
        package let shape: [Int]
        /// Bytes of data.
        package let bytes: Int
        /// The file holding it, relative to the checkpoint's root.
        package let file: String
    }

    /// Count and bytes of one dtype.
    package struct Total: Sendable, Hashable {
        /// The dtype.
        package let dtype: DType
        /// How many tensors have it.
        package let count: Int
        /// Their bytes.
        package let bytes: Int
    }

    /// The path as given.
    package let path: String
    /// The container.
    package let format: ContainerFormat
    /// The files, relative to the root.
    package let files: [String]
    /// The world size when the checkpoint is a set of rank files.
    package let worldSize: Int?
    /// Every tensor, in checkpoint order.
    package let rows: [Row]
    /// Totals per dtype, largest first.
    package let totals: [Total]
    /// The model config, when one was found and read.
    package let config: ModelConfig?
    /// Why the config could not be used, when one was found but not read.
    package let configProblem: String?
    /// Scale coverage of the 2-D weights.
    package let coverage: ScaleCoverage

    /// Opens `path` (a file, a Hugging Face directory with an index, or rank files) and
    /// describes it from its headers, without reading tensor data.
    ///
    /// - Throws: ``InspectError`` when the checkpoint cannot be opened.
    package static func make(path: String) throws(InspectError) -> InspectReport {
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint.open(path)
        } catch {
            throw InspectError(.unreadable, error.description)
        }
        return make(checkpoint: checkpoint, path: path)
    }

    /// Describes an opened checkpoint.
    package static func make(checkpoint: Checkpoint, path: String) -> InspectReport {
        let rows = checkpoint.tensors.map {
            Row(name: $0.name, dtype: $0.dtype, shape: $0.shape, bytes: $0.byteCount, file: $0.file)
        }
        var byType: [DType: (count: Int, bytes: Int)] = [:]
        for row in rows {
            byType[row.dtype, default: (0, 0)].count += 1
            byType[row.dtype, default: (0, 0)].bytes += row.bytes
        }
        let totals = byType.map {
            Total(dtype: $0.key, count: $0.value.count, bytes: $0.value.bytes)
        }
        .sorted { ($0.bytes, $1.dtype.rawValue) > ($1.bytes, $0.dtype.rawValue) }

        var config: ModelConfig?
        var problem: String?
        if let json = checkpoint.config {
            do {
                config = try ModelConfig(jsonData: Data(json.serialized().utf8))
            } catch {
                problem = "\(error)"
            }
        }
        return InspectReport(
            path: path, format: checkpoint.format, files: checkpoint.files,
            worldSize: checkpoint.worldSize, rows: rows, totals: totals, config: config,
            configProblem: problem,
            coverage: ScaleCoverage(rows, perFile: checkpoint.worldSize != nil))
    }

    /// Total bytes of tensor data.
    package var totalBytes: Int { rows.reduce(0) { $0 + $1.bytes } }
}

/// Which 2-D weights are FP8 with a block scale of the right shape, and what does not fit:
/// FP8 weights without a scale, scales without a weight, scales of the wrong shape.
///
/// Pairs are looked for in both spellings: `x.weight` with `x.weight_scale_inv` (Hugging Face)
/// or `x.scale` (rank files). In rank files each file carries its own scales, so a weight pairs
/// only with a scale in its file; elsewhere names are unique and the pair may span files.
package struct ScaleCoverage: Sendable {
    /// An FP8 weight and its scale, or a scale whose shape is wrong.
    package struct Pair: Sendable, Hashable {
        /// The weight.
        package let weight: String
        /// The scale.
        package let scale: String
        /// The file.
        package let file: String
        /// The scale shape the weight needs, `ceil(rows/128) × ceil(columns/128)`.
        package let expected: [Int]
        /// The scale shape found.
        package let found: [Int]
    }

    /// FP8 weights with a scale of the right shape.
    package let covered: [Pair]
    /// Scales whose shape does not match their weight, or whose weight is not FP8.
    package let wrongShape: [Pair]
    /// How many of ``wrongShape`` belong to FP8 weights.
    package let fp8WithWrongScale: Int
    /// FP8 2-D weights with no scale beside them (name and file).
    package let missingScale: [(name: String, file: String)]
    /// Scales with no weight beside them (name and file).
    package let orphanedScales: [(name: String, file: String)]
    /// 2-D weights kept in another precision (not FP8): name, dtype and file.
    package let highPrecision: [(name: String, dtype: DType, file: String)]

    /// Pairs up the weights and scales of `rows`, within each file when `perFile`.
    init(_ rows: [InspectReport.Row], perFile: Bool) {
        let key = { (file: String, name: String) in perFile ? file + "\u{0}" + name : name }
        var byKey: [String: InspectReport.Row] = [:]
        for row in rows { byKey[key(row.file, row.name)] = row }
        var covered: [Pair] = []
        var wrong: [Pair] = []
        var missing: [(String, String)] = []
        var orphaned: [(String, String)] = []
        var high: [(String, DType, String)] = []
        var usedScales = Set<String>()
        var wrongFP8 = 0

        for row in rows where row.name.hasSuffix(".weight") && row.shape.count == 2 {
            let scale = [NamingStyle.huggingFace, .inference].lazy.compactMap {
                TensorName.scaleName(forWeight: row.name, style: $0)
            }.first { byKey[key(row.file, $0)] != nil }
            guard row.dtype == .float8E4M3FN || row.dtype == .float8E5M2 else {
                if scale == nil { high.append((row.name, row.dtype, row.file)) }
                continue
            }
            guard let scale, let scaleRow = byKey[key(row.file, scale)] else {
                missing.append((row.name, row.file))
                continue
            }
            usedScales.insert(key(row.file, scale))
            let expected = row.shape.map { ($0 + 127) / 128 }
            let pair = Pair(
                weight: row.name, scale: scale, file: row.file, expected: expected,
                found: scaleRow.shape)
            if scaleRow.shape == expected {
                covered.append(pair)
            } else {
                wrong.append(pair)
                wrongFP8 += 1
            }
        }
        for row in rows where TensorName.scaleStyle(of: row.name) != nil {
            guard !usedScales.contains(key(row.file, row.name)) else { continue }
            let weight = TensorName.weightName(forScale: row.name)!
            if let weightRow = byKey[key(row.file, weight)] {
                // A scale beside a weight that is not FP8: the pair cannot be used either.
                let expected = weightRow.shape.map { ($0 + 127) / 128 }
                wrong.append(
                    Pair(
                        weight: weight, scale: row.name, file: row.file, expected: expected,
                        found: row.shape))
            } else {
                orphaned.append((row.name, row.file))
            }
        }
        self.covered = covered
        self.fp8WithWrongScale = wrongFP8
        self.wrongShape = wrong
        self.missingScale = missing
        self.orphanedScales = orphaned
        self.highPrecision = high
    }

    /// Whether every FP8 weight has a scale of the right shape and no scale is left over.
    package var isComplete: Bool {
        wrongShape.isEmpty && missingScale.isEmpty && orphanedScales.isEmpty
    }
}
