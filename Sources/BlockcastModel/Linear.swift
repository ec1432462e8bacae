import BlockcastFormats

/// A weight `W [rows = out, columns = in]` prepared for `y = x · Wᵀ` over a batch of tokens.
///
/// Either a plain float32 matrix (the fp32, bf16 and fp8-dequant paths, and any projection the
/// checkpoint keeps unquantized), or FP8 codes decoded to float32 (exact) with their 128×128
/// `scale_inv` grid, applied as the block-scaled FP8 product of quantization.md.
public struct Linear: Sendable {
    /// Output features.
    public let rows: Int
    /// Input features.
    public let columns: Int
    /// Row-major values: the weights, or the decoded FP8 codes when ``blockScales`` is set.
    public let values: [Float]
    /// `scale_inv`, `ceil(rows/128) × ceil(columns/128)` row-major, for a block-scaled weight.
    public let blockScales: [Float]?
    /// How the block-scaled product scales its 1×128 activation groups: float32, or rounded
    /// up to powers of two for a checkpoint with ue8m0 scales.
    public let activationScaleFormat: ScaleFormat

    /// The edge of a weight block and the width of an activation group.
    static let block = 128

    /// A plain float32 weight.
    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(
            values.count == rows * columns, "Linear: \(values.count) ≠ \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
        self.blockScales = nil
        self.activationScaleFormat = .float32
    }

    /// An FP8 E4M3 weight applied with block-scaled products; `scaleInverse` is its
    /// `ceil(rows/128) × ceil(columns/128)` grid, and `activationScales` the rule for the
    /// activations' scales.
    public init(
        rows: Int, columns: Int, fp8Codes codes: [UInt8], scaleInverse: [Float],
        activationScales: ScaleFormat = .float32
    ) {
        precondition(
            codes.count == rows * columns, "Linear: \(codes.count) ≠ \(rows)×\(columns)")
        precondition(
            scaleInverse.count == Self.blocks(rows) * Self.blocks(columns),
            "Linear: \(scaleInverse.count) scales for \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.values = [Float](unsafeUninitializedCapacity: codes.count) { output, initialized in
            codes.withUnsafeBufferPointer { Float8E4M3FN.decode($0, into: output) }
            initialized = codes.count
        }
        self.blockScales = scaleInverse
        self.activationScaleFormat = activationScales
    }

    private init(
        rows: Int, columns: Int, values: [Float], blockScales: [Float]?,
        activationScales: ScaleFormat
    ) {
        self.rows = rows
        self.columns = columns
        self.values = values
        self.blockScales = blockScales
        self.activationScaleFormat = activationScales
    }

    /// `ceil(n / 128)`.
    static func blocks(_ n: Int) -> Int { (n + block - 1) / block }

    /// Whether ``apply(_:count:into:)`` runs the block-scaled FP8 product.
    public var isBlockScaled: Bool { blockScales != nil }

    /// The float32 weights: the values themselves, or `Q · scale_inv` for an FP8 weight.
    public func dequantized() -> [Float] {
        guard let scales = blockScales else { return values }
        let columnBlocks = Self.blocks(columns)
        var output = values
        output.withUnsafeMutableBufferPointer { output in
            let base = output.baseAddress!
            parallelFor(Self.blocks(rows)) { rowBlock in
                for r in (rowBlock * Self.block)..<min((rowBlock + 1) * Self.block, rows) {
                    for c in 0..<columns {
                        base[r * columns + c] *= scales[rowBlock * columnBlocks + c / Self.block]
                    }
                }
            }
        }
        return output
    }

    /// The same weight with every value rounded to bfloat16 (plain weights only).
    func roundedToBFloat16() -> Linear {
        precondition(!isBlockScaled, "bfloat16 rounding of a block-scaled weight")
        let rounded = values.map { BFloat16.round($0) }
        return Linear(rows: rows, columns: columns, values: rounded)
    }

    /// `y[m, :] = x[m, :] · Wᵀ` for `count` rows of `x` (`count × columns`) into `y`
    /// (`count × rows`).
    func apply(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>) {
        guard count > 0 else { return }
        values.withUnsafeBufferPointer { w in
            if let scales = blockScales {
                scales.withUnsafeBufferPointer { scales in
                    applyBlockScaled(x, count: count, w: w.baseAddress!, scales: scales, into: y)
                }
            } else {
                GEMM.multiplyTransposed(
                    m: count, n: rows, k: columns, a: x, lda: columns, b: w.baseAddress!,
                    ldb: columns, c: y, ldc: rows)
            }
        }
    }

    /// ``apply(_:count:into:)`` on arrays.
    package func apply(_ x: [Float], count: Int) -> [Float] {
        precondition(
            x.count == count * columns, "Linear: input \(x.count) ≠ \(count)×\(columns)")
        return [Float](unsafeUninitializedCapacity: count * rows) { y, initialized in
            x.withUnsafeBufferPointer { apply($0.baseAddress!, count: count, into: y.baseAddress!) }
            initialized = count * rows
        }
    }

    /// The FP8 product: activations quantized 1×128 per token, then per 128-wide slice `j` of
    /// the reduction `y += (a_q[:, j] · w_q[:, j]ᵀ) · s[m, j] · scale_inv[n/128, j]`, each
    /// slice's sum accumulated in float32 by one sgemm over the exact decoded codes.
    private func applyBlockScaled(
        _ x: UnsafePointer<Float>, count m: Int, w: UnsafePointer<Float>,
        scales: UnsafeBufferPointer<Float>, into y: UnsafeMutablePointer<Float>
    ) {
        let k = columns
        let n = rows
        let groups = Self.blocks(k)
        var codes = [UInt8](repeating: 0, count: m * k)
        var activationScales = [Float](repeating: 0, count: m * groups)
        codes.withUnsafeMutableBufferPointer { codes in
            activationScales.withUnsafeMutableBufferPointer { activationScales in
                ActivationQuantizer.quantize(
                    UnsafeBufferPointer(start: x, count: m * k), rows: m, columns: k,
                    scaleFormat: activationScaleFormat, codes: codes, scales: activationScales)
            }
        }
        let decoded = [Float](unsafeUninitializedCapacity: m * k) { output, initialized in
            codes.withUnsafeBufferPointer { Float8E4M3FN.decode($0, into: output) }
            initialized = m * k
        }

        let partial = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { partial.deallocate() }
        decoded.withUnsafeBufferPointer { a in
            activationScales.withUnsafeBufferPointer { sa in
                for j in 0..<groups {
                    let start = j * Self.block
                    let width = min(Self.block, k - start)
                    GEMM.multiplyTransposed(
                        m: m, n: n, k: width, a: a.baseAddress! + start, lda: k, b: w + start,
                        ldb: k, c: partial, ldc: n)
                    accumulate(
                        partial, into: y, m: m, n: n, slice: j, groups: groups,
                        activationScales: sa.baseAddress!, weightScales: scales.baseAddress!)
                }
            }
        }
    }

    /// `y[i, c] (+)= partial[i, c] · s[i, j] · scale_inv[c/128, j]`, assigning on slice 0.
    private func accumulate(
        _ partial: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>, m: Int,
        n: Int, slice j: Int, groups: Int, activationScales: UnsafePointer<Float>,
        weightScales: UnsafePointer<Float>
    ) {
        let rowBlocks = Self.blocks(n)
        let rowsPerTask = max(1, 16_384 / max(n, 1))
        parallelFor((m + rowsPerTask - 1) / rowsPerTask) { task in
            for i in (task * rowsPerTask)..<min((task + 1) * rowsPerTask, m) {
                let sa = activationScales[i * groups + j]
                let source = partial + i * n
                let target = y + i * n
                for block in 0..<rowBlocks {
                    let sw = weightScales[block * groups + j]
                    let end = min((block + 1) * Self.block, n)
                    if j == 0 {
                        for c in (block * Self.block)..<end { target[c] = source[c] * sa * sw }
                    } else {
                        for c in (block * Self.block)..<end { target[c] += source[c] * sa * sw }
                    }
                }
            }
        }
    }

    /// Rows `range` of the weight (a column-parallel slice); block scales follow in whole
    /// 128-row blocks, so a block-scaled slice must start and end on a block boundary.
    func slicingRows(_ range: Range<Int>) -> Linear? {
        if let scales = blockScales {
            guard range.lowerBound % Self.block == 0,
                range.upperBound % Self.block == 0 || range.upperBound == rows
            else { return nil }
            let columnBlocks = Self.blocks(columns)
            let blockRange = (range.lowerBound / Self.block)..<Self.blocks(range.upperBound)
            let slicedScales = Array(
                scales[
                    (blockRange.lowerBound * columnBlocks)..<(blockRange.upperBound * columnBlocks)]
            )
            return Linear(
                rows: range.count, columns: columns,
                values: Array(values[(range.lowerBound * columns)..<(range.upperBound * columns)]),
                blockScales: slicedScales, activationScales: activationScaleFormat)
        }
        return Linear(
            rows: range.count, columns: columns,
            values: Array(values[(range.lowerBound * columns)..<(range.upperBound * columns)]))
    }

    /// Columns `range` of the weight (a row-parallel slice), with the same block rule.
    func slicingColumns(_ range: Range<Int>) -> Linear? {
        var sliced = [Float](repeating: 0, count: rows * range.count)
        for r in 0..<rows {
            for c in 0..<range.count {
                sliced[r * range.count + c] = values[r * columns + range.lowerBound + c]
            }
        }
        guard let scales = blockScales else {
            return Linear(rows: rows, columns: range.count, values: sliced)
        }
        guard range.lowerBound % Self.block == 0,
            range.upperBound % Self.block == 0 || range.upperBound == columns
        else { return nil }
        let columnBlocks = Self.blocks(columns)
        let blockRange = (range.lowerBound / Self.block)..<Self.blocks(range.upperBound)
        var slicedScales: [Float] = []
        for rowBlock in 0..<Self.blocks(rows) {
            for b in blockRange { slicedScales.append(scales[rowBlock * columnBlocks + b]) }
        }
        return Linear(
            rows: rows, columns: range.count, values: sliced, blockScales: slicedScales,
            activationScales: activationScaleFormat)
    }
}
