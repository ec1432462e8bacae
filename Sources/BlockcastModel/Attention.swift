import BlockcastFormats

/// Multi-head Latent Attention on one rank (model.md, "MLA"): the replicated latent
/// projection, this rank's heads of the query, `W_kvb` and `W_o`.
struct Attention: Sendable {
    /// The query: plain `W_q`, or `W_qa`, its RMSNorm and `W_qb`.
    enum Query: Sendable {
        case plain(Linear)
        case lowRank(down: Linear, norm: [Float], up: Linear)
    }

    let config: ModelConfig
    /// Heads this rank runs.
    let headCount: Int
    let query: Query
    /// `W_kva`, `[c + dr, dim]`, replicated.
    let latent: Linear
    let latentNorm: [Float]
    /// `W_kvb` for this rank's heads, `[heads·(dn+dv), c]`.
    let keyValue: Linear
    /// `W_kvb`'s float32 values (dequantized when FP8), for the absorbed order.
    let keyValueValues: [Float]
    /// `W_o`'s columns for this rank's heads, `[dim, heads·dv]`.
    let output: Linear

    init(
        config: ModelConfig, headCount: Int, query: Query, latent: Linear, latentNorm: [Float],
        keyValue: Linear, output: Linear
    ) {
        self.config = config
        self.headCount = headCount
        self.query = query
        self.latent = latent
        self.latentNorm = latentNorm
        self.keyValue = keyValue
        self.keyValueValues = keyValue.dequantized()
        self.output = output
    }

    /// This rank's partial attention output for `x` (`count × dim`, the sequences laid end
    /// to end), `count × dim`.
    func forward(
        _ x: UnsafePointer<Float>, count: Int, sequences: [Range<Int>], rotary: RotaryTables,
        order: AttentionOrder
    ) -> [Float] {
        let h = headCount
        let dn = config.qkNopeHeadDim
        let dr = config.qkRopeHeadDim
        let c = config.kvLoraRank
        let eps = Float(config.rmsNormEps)
        let qWidth = h * (dn + dr)

        // Query, then rotate each head's rotary part at its position.
        var q: [Float]
        switch query {
        case .plain(let wq):
            q = [Float](repeating: 0, count: count * qWidth)
            q.withUnsafeMutableBufferPointer { wq.apply(x, count: count, into: $0.baseAddress!) }
        case .lowRank(let down, let norm, let up):
            var compressed = [Float](repeating: 0, count: count * down.rows)
            compressed.withUnsafeMutableBufferPointer {
                down.apply(x, count: count, into: $0.baseAddress!)
            }
            compressed = Kernels.rmsNorm(compressed, rows: count, weight: norm, eps: eps)
            q = up.apply(compressed, count: count)
        }

        // Latent and the shared rotary key.
        var kv = [Float](repeating: 0, count: count * (c + dr))
        kv.withUnsafeMutableBufferPointer { latent.apply(x, count: count, into: $0.baseAddress!) }
        let positions = Self.positions(count: count, sequences: sequences)
        rotary.rotate(
            &q, count: count, stride: qWidth, offset: dn, step: dn + dr, heads: h,
            positions: positions)
        rotary.rotate(
            &kv, count: count, stride: c + dr, offset: c, step: 0, heads: 1,
            positions: positions)
        var lat = [Float](repeating: 0, count: count * c)
        var keyRotary = [Float](repeating: 0, count: count * dr)
        for t in 0..<count {
            for i in 0..<dr { keyRotary[t * dr + i] = kv[t * (c + dr) + c + i] }
        }
        kv.withUnsafeBufferPointer { kv in
            lat.withUnsafeMutableBufferPointer { lat in
                Kernels.rmsNorm(
                    kv.baseAddress!, xStride: c + dr, rows: count, width: c, weight: latentNorm,
                    eps: eps, into: lat.baseAddress!, yStride: c)
            }
        }

        var heads = [Float](repeating: 0, count: count * h * config.vHeadDim)
        let context = HeadContext(
            q: q, lat: lat, keyRotary: keyRotary, count: count, heads: h, config: config,
            scale: RotaryEmbedding.softmaxScale(for: config))
        let expanded = order == .naive ? keyValue.apply(lat, count: count) : []
        heads.withUnsafeMutableBufferPointer { heads in
            // Every (sequence, head) pair writes its own columns of its own rows, and computes
            // the same bits on any thread: they run in parallel.
            let out = heads.baseAddress!
            parallelFor(sequences.count * h) { task in
                let range = sequences[task / h]
                switch order {
                case .naive:
                    context.naiveHead(task % h, range, expanded: expanded, into: out)
                case .absorbed:
                    context.absorbedHead(task % h, range, weights: keyValueValues, into: out)
                }
            }
        }
        return output.apply(heads, count: count)
    }

    /// Each token's position within its own sequence.
    static func positions(count: Int, sequences: [Range<Int>]) -> [Int] {
        var positions = [Int](repeating: 0, count: count)
        for range in sequences {
            for t in range { positions[t] = t - range.lowerBound }
        }
        return positions
    }
}

/// The per-head attention of one sequence, in either order.
private struct HeadContext {
    let q: [Float]
    let lat: [Float]
    let keyRotary: [Float]
    let count: Int
    let heads: Int
    let config: ModelConfig
    let scale: Float

    var dn: Int { config.qkNopeHeadDim }
    var dr: Int { config.qkRopeHeadDim }
    var dv: Int { config.vHeadDim }
    var c: Int { config.kvLoraRank }
    var qWidth: Int { heads * (dn + dr) }

    /// `scores += q_pe · k_peᵀ`, then scale, causal softmax.
    private func finishScores(
        _ scores: UnsafeMutablePointer<Float>, head: Int, _ range: Range<Int>
    ) {
        let t = range.count
        q.withUnsafeBufferPointer { q in
            keyRotary.withUnsafeBufferPointer { k in
                GEMM.multiplyTransposed(
                    m: t, n: t, k: dr,
                    a: q.baseAddress! + range.lowerBound * qWidth + head * (dn + dr) + dn,
                    lda: qWidth, b: k.baseAddress! + range.lowerBound * dr, ldb: dr, c: scores,
                    ldc: t, beta: 1)
            }
        }
        for row in 0..<t {
            let scoresRow = scores + row * t
            for s in 0...row { scoresRow[s] *= scale }
            Kernels.softmax(scoresRow, valid: row + 1, width: t)
        }
    }

    /// Naive order: keys and values expanded per head (`expanded` is `lat · W_kvbᵀ`).
    func naiveHead(
        _ head: Int, _ range: Range<Int>, expanded: [Float], into out: UnsafeMutablePointer<Float>
    ) {
        let t = range.count
        let kvWidth = heads * (dn + dv)
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: t * t)
        defer { scores.deallocate() }
        q.withUnsafeBufferPointer { q in
            expanded.withUnsafeBufferPointer { kv in
                GEMM.multiplyTransposed(
                    m: t, n: t, k: dn,
                    a: q.baseAddress! + range.lowerBound * qWidth + head * (dn + dr),
                    lda: qWidth, b: kv.baseAddress! + range.lowerBound * kvWidth + head * (dn + dv),
                    ldb: kvWidth, c: scores, ldc: t)
            }
        }
        finishScores(scores, head: head, range)
        expanded.withUnsafeBufferPointer { kv in
            GEMM.multiply(
                m: t, n: dv, k: t, a: scores, lda: t,
                b: kv.baseAddress! + range.lowerBound * kvWidth + head * (dn + dv) + dn,
                ldb: kvWidth, c: out + range.lowerBound * heads * dv + head * dv,
                ldc: heads * dv)
        }
    }

    /// Absorbed order: `q_nope · W_kvb[h, :dn]` scored against the latent, and
    /// `W_kvb[h, dn:]` applied after the weighted sum.
    func absorbedHead(
        _ head: Int, _ range: Range<Int>, weights: [Float], into out: UnsafeMutablePointer<Float>
    ) {
        let t = range.count
        let rowsPerHead = dn + dv
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: t * t)
        let folded = UnsafeMutablePointer<Float>.allocate(capacity: t * c)
        defer {
            scores.deallocate()
            folded.deallocate()
        }
        weights.withUnsafeBufferPointer { w in
            let headWeights = w.baseAddress! + head * rowsPerHead * c
            q.withUnsafeBufferPointer { q in
                GEMM.multiply(
                    m: t, n: c, k: dn,
                    a: q.baseAddress! + range.lowerBound * qWidth + head * (dn + dr),
                    lda: qWidth, b: headWeights, ldb: c, c: folded, ldc: c)
            }
            lat.withUnsafeBufferPointer { lat in
                let latent = lat.baseAddress! + range.lowerBound * c
                GEMM.multiplyTransposed(
                    m: t, n: t, k: c, a: folded, lda: c, b: latent, ldb: c, c: scores, ldc: t)
                finishScores(scores, head: head, range)
                GEMM.multiply(
                    m: t, n: c, k: t, a: scores, lda: t, b: latent, ldb: c, c: folded, ldc: c)
            }
            GEMM.multiplyTransposed(
                m: t, n: dv, k: c, a: folded, lda: c, b: headWeights + dn * c, ldb: c,
                c: out + range.lowerBound * heads * dv + head * dv, ldc: heads * dv)
        }
    }
}

/// Cosine and sine tables for the positions a forward pass needs.
struct RotaryTables {
    let half: Int
    let cos: [Float]
    let sin: [Float]

    init(_ rotary: RotaryEmbedding, length: Int) {
        half = rotary.frequencies.count
        (cos, sin) = rotary.table(length: length)
    }

    /// Rotates, for every token and each of `heads` vectors, the `2·half` values starting at
    /// `token·stride + offset + head·step`, at the token's position.
    func rotate(
        _ x: inout [Float], count: Int, stride: Int, offset: Int, step: Int, heads: Int,
        positions: [Int]
    ) {
        x.withUnsafeMutableBufferPointer { x in
            cos.withUnsafeBufferPointer { cos in
                sin.withUnsafeBufferPointer { sin in
                    let x = x.baseAddress!
                    for t in 0..<count {
                        let row = positions[t] * half
                        for head in 0..<heads {
                            RotaryEmbedding.rotate(
                                x + t * stride + offset + head * step, half: half,
                                cos: cos.baseAddress! + row, sin: sin.baseAddress! + row)
                        }
                    }
                }
            }
        }
    }
}
