import BlockcastContainers
import BlockcastFormats
import BlockcastModel
import Foundation

/// A checkpoint as `quantize` would have converted it, computed in memory when a tensor is
/// read: the `--what-if` candidates of `verify`.
///
/// Each tensor gets the target the default policy gives it (quantization.md, "Which tensors
/// become FP8"): FP8 projections appear as E4M3 codes plus a float32 `…weight_scale_inv`,
/// the rest as bfloat16 (the correction bias as float32). The arithmetic is the quantizer's
/// own, so a what-if and a converted checkpoint give the same candidate.
final class WhatIfWeights: WeightSource, @unchecked Sendable {
    private let base: any WeightSource
    private let policy: TensorPolicy
    private let scaleFormat: ScaleFormat
    private let lock = NSLock()
    /// The last FP8 conversion, so that reading a weight and then its scale quantizes once.
    private var last: (name: String, codes: Tensor, scales: Tensor)?

    /// Wraps `base` (Hugging Face names) for `mode`, with scales chosen by `scaleFormat`.
    init(base: any WeightSource, mode: TensorPolicy.Mode, scaleFormat: ScaleFormat) {
        self.base = base
        self.policy = TensorPolicy(mode: mode)
        self.scaleFormat = scaleFormat
    }

    func tensorInfo(named name: String) -> (dtype: DType, shape: [Int])? {
        if let weight = Self.weightName(ofScale: name) {
            guard let info = base.tensorInfo(named: weight), target(weight, info) == .fp8 else {
                return base.tensorInfo(named: name)
            }
            let tiles = BlockShape.deepSeek.tileCounts(rows: info.shape[0], columns: info.shape[1])
            return (.float32, [tiles.rows, tiles.columns])
        }
        guard let info = base.tensorInfo(named: name) else { return nil }
        switch target(name, info) {
        case .fp8: return (.float8E4M3FN, info.shape)
        case .bfloat16: return (.bfloat16, info.shape)
        case .float32: return (.float32, info.shape)
        case .keep: return info
        }
    }

    func readTensor(named name: String) throws -> Tensor {
        if let weight = Self.weightName(ofScale: name),
            let info = base.tensorInfo(named: weight), target(weight, info) == .fp8
        {
            return try quantized(weight).scales
        }
        guard let info = base.tensorInfo(named: name) else {
            return try base.readTensor(named: name)
        }
        switch target(name, info) {
        case .fp8:
            return try quantized(name).codes
        case .bfloat16:
            let values = try base.readTensor(named: name).floats()
            return Tensor(dtype: .bfloat16, shape: info.shape) { raw in
                values.withUnsafeBufferPointer {
                    BFloat16.encode($0, into: raw.bindMemory(to: UInt16.self))
                }
            }
        case .float32:
            return Tensor(floats: try base.readTensor(named: name).floats(), shape: info.shape)
        case .keep:
            return try base.readTensor(named: name)
        }
    }

    private func target(_ name: String, _ info: (dtype: DType, shape: [Int])) -> TensorTarget {
        // A source that is already FP8 is used as it is: there is nothing to convert.
        info.dtype.isFloat8
            ? .keep : policy.target(name: name, dtype: info.dtype, shape: info.shape)
    }

    private func quantized(_ name: String) throws -> (codes: Tensor, scales: Tensor) {
        lock.lock()
        defer { lock.unlock() }
        if let last, last.name == name { return (last.codes, last.scales) }

        let tensor = try base.readTensor(named: name)
        let (rows, columns) = (tensor.shape[0], tensor.shape[1])
        let values = try tensor.floats()
        let (matrix, _) = values.withUnsafeBufferPointer {
            BlockQuantizer.quantize($0, rows: rows, columns: columns, scaleFormat: scaleFormat)
        }
        let codes = Tensor(dtype: .float8E4M3FN, shape: tensor.shape, bytes: matrix.codes)
        let scales = Tensor(
            floats: matrix.scaleInverse, shape: [matrix.scaleRows, matrix.scaleColumns])
        last = (name, codes, scales)
        return (codes, scales)
    }

    /// `x.weight` for `x.weight_scale_inv`, nil for other names.
    private static func weightName(ofScale name: String) -> String? {
        let suffix = "weight_scale_inv"
        guard name.hasSuffix(suffix) else { return nil }
        return String(name.dropLast(suffix.count)) + "weight"
    }
}
