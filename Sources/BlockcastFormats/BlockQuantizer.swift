/// Weight quantization to FP8 E4M3 in 128 × 128 tiles (the DeepSeek FP8 layout).
///
/// For tile `(i, j)`: `amax = max(max |W|, 1e-4)`, `scale_inv = amax / 448` (or its ue8m0
/// power-of-two ceiling), `Q = e4m3(W / scale_inv)` with a true division, and
/// `W' = float32(Q) · scale_inv`. Edge tiles may be ragged. Work is split by tile rows, and
/// statistics are accumulated per tile and reduced in tile order, so every output (statistics
/// included) is the same whatever the thread count.
public enum BlockQuantizer {
    /// The tile edge, 128.
    static let tile = BlockShape.deepSeek.rows

    /// Quantizes a row-major `rows × columns` float32 weight, measuring the error in the same
    /// pass.
    public static func quantize(
        _ weights: UnsafeBufferPointer<Float>, rows: Int, columns: Int,
        scaleFormat: ScaleFormat = .float32
    ) -> (BlockQuantizedMatrix, QuantizationStatistics) {
        precondition(rows >= 0 && columns >= 0, "quantize: negative shape \(rows)×\(columns)")
        let tiles = BlockShape.deepSeek.tileCounts(rows: rows, columns: columns)
        var scales = [Float](repeating: 0, count: tiles.rows * tiles.columns)
        var statistics: QuantizationStatistics?
        let codes = [UInt8](unsafeUninitializedCapacity: rows * columns) { codes, initialized in
            scales.withUnsafeMutableBufferPointer { scales in
                statistics = quantize(
                    weights, rows: rows, columns: columns, scaleFormat: scaleFormat,
                    codes: codes, scaleInverse: scales)
            }
            initialized = rows * columns
        }

        let matrix = BlockQuantizedMatrix(
            rows: rows, columns: columns, codes: codes, scaleInverse: scales)
        return (matrix, statistics!)
    }

    /// Quantizes like ``quantize(_:rows:columns:scaleFormat:)`` into caller-owned buffers
    /// (for instance a mapped output file): `codes` holds `rows × columns` elements and
    /// `scaleInverse` `ceil(rows / 128) × ceil(columns / 128)`.
    public static func quantize(
        _ weights: UnsafeBufferPointer<Float>, rows: Int, columns: Int,
        scaleFormat: ScaleFormat = .float32, codes: UnsafeMutableBufferPointer<UInt8>,
        scaleInverse: UnsafeMutableBufferPointer<Float>
    ) -> QuantizationStatistics {
        precondition(rows >= 0 && columns >= 0, "quantize: negative shape \(rows)×\(columns)")
        precondition(
            weights.count == rows * columns && codes.count == rows * columns,
            "quantize: \(weights.count) inputs, \(codes.count) codes for \(rows)×\(columns)")
        let tiles = BlockShape.deepSeek.tileCounts(rows: rows, columns: columns)
        let tileCount = tiles.rows * tiles.columns
        precondition(
            scaleInverse.count == tileCount,
            "quantize: \(scaleInverse.count) scales for \(tiles.rows)×\(tiles.columns) tiles")

        var tileStatistics = [TileStatistics](repeating: TileStatistics(), count: tileCount)
        tileStatistics.withUnsafeMutableBufferPointer { statistics in
            guard let input = weights.baseAddress, let output = codes.baseAddress,
                let scaleOut = scaleInverse.baseAddress, let statisticsOut = statistics.baseAddress
            else { return }
            parallelFor(tiles.rows) { tileRow in
                quantizeBand(
                    tileRow, input, output, rows: rows, columns: columns, scaleFormat,
                    scales: scaleOut + tileRow * tiles.columns,
                    statistics: statisticsOut + tileRow * tiles.columns)
            }
        }
        return TileStatistics.reduce(tileStatistics, elementCount: rows * columns)
    }

    /// Dequantizes `matrix` into `into` (`rows × columns` float32, row-major).
    public static func dequantize(
        _ matrix: BlockQuantizedMatrix, into destination: UnsafeMutableBufferPointer<Float>
    ) {
        matrix.codes.withUnsafeBufferPointer { codes in
            matrix.scaleInverse.withUnsafeBufferPointer { scales in
                dequantize(
                    codes: codes, scaleInverse: scales, rows: matrix.rows,
                    columns: matrix.columns, into: destination)
            }
        }
    }

    /// Dequantizes E4M3 `codes` with their tile scales into float32: `W' = float32(Q) · s`.
    ///
    /// The buffer sizes must match `rows × columns` and the tile grid (a programmer error
    /// otherwise; shapes read from files are checked by the callers).
    public static func dequantize(
        codes: UnsafeBufferPointer<UInt8>, scaleInverse: UnsafeBufferPointer<Float>, rows: Int,
        columns: Int, into destination: UnsafeMutableBufferPointer<Float>
    ) {
        forEachDequantizedSegment(
            codes: codes, scaleInverse: scaleInverse, rows: rows, columns: columns,
            outputCount: destination.count
        ) { codes, scale, offset, width in
            let output = destination.baseAddress! + offset
            for c in 0..<width { output[c] = Float8E4M3FN.decodeValue(codes[c]) * scale }
        }
    }

    /// Dequantizes like ``dequantize(codes:scaleInverse:rows:columns:into:)`` and rounds each
    /// float32 product to bfloat16 (round to nearest even), as GPU runtimes do.
    public static func dequantizeToBFloat16(
        codes: UnsafeBufferPointer<UInt8>, scaleInverse: UnsafeBufferPointer<Float>, rows: Int,
        columns: Int, into destination: UnsafeMutableBufferPointer<UInt16>
    ) {
        forEachDequantizedSegment(
            codes: codes, scaleInverse: scaleInverse, rows: rows, columns: columns,
            outputCount: destination.count
        ) { codes, scale, offset, width in
            let output = destination.baseAddress! + offset
            for c in 0..<width {
                let value = Float8E4M3FN.decodeValue(codes[c]) * scale
                output[c] = BFloat16.encodeBits(value.bitPattern)
            }
        }
    }

    /// Dequantizes `matrix` into bfloat16 bits.
    public static func dequantizeToBFloat16(
        _ matrix: BlockQuantizedMatrix, into destination: UnsafeMutableBufferPointer<UInt16>
    ) {
        matrix.codes.withUnsafeBufferPointer { codes in
            matrix.scaleInverse.withUnsafeBufferPointer { scales in
                dequantizeToBFloat16(
                    codes: codes, scaleInverse: scales, rows: matrix.rows,
                    columns: matrix.columns, into: destination)
            }
        }
    }

    /// Calls `body(codes, scale, outputOffset, width)` for every row segment of every tile,
    /// in parallel over tile rows, after checking the buffer sizes.
    @inline(__always)
    private static func forEachDequantizedSegment(
        codes: UnsafeBufferPointer<UInt8>, scaleInverse: UnsafeBufferPointer<Float>, rows: Int,
        columns: Int, outputCount: Int,
        _ body: (UnsafePointer<UInt8>, Float, Int, Int) -> Void
    ) {
        let tiles = BlockShape.deepSeek.tileCounts(rows: rows, columns: columns)
        precondition(
            codes.count == rows * columns && outputCount == rows * columns,
            "dequantize: \(codes.count) codes, \(outputCount) outputs for \(rows)×\(columns)")
        precondition(
            scaleInverse.count == tiles.rows * tiles.columns,
            "dequantize: \(scaleInverse.count) scales for \(tiles.rows)×\(tiles.columns) tiles")
        guard let input = codes.baseAddress, let scales = scaleInverse.baseAddress else { return }

        parallelFor(tiles.rows) { tileRow in
            let rowEnd = min((tileRow + 1) * tile, rows)
            for r in (tileRow * tile)..<rowEnd {
                for tileColumn in 0..<tiles.columns {
                    let start = tileColumn * tile
                    let width = min(tile, columns - start)
                    let scale = scales[tileRow * tiles.columns + tileColumn]
                    let offset = r * columns + start
                    body(input + offset, scale, offset, width)
                }
            }
        }
    }

    /// Quantizes the tiles of one band of up to 128 rows, writing their scales and error sums.
    ///
    /// Both passes stream whole rows (contiguous memory, which the prefetchers follow) rather
    /// than walking a tile's 128 short row segments one tile at a time. Each tile still sees
    /// its rows in order, so its sums are the same as tile by tile.
    @inline(__always)
    private static func quantizeBand(
        _ tileRow: Int, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<UInt8>,
        rows: Int, columns: Int, _ scaleFormat: ScaleFormat,
        scales: UnsafeMutablePointer<Float>, statistics: UnsafeMutablePointer<TileStatistics>
    ) {
        let rowRange = (tileRow * tile)..<min((tileRow + 1) * tile, rows)
        let tileColumns = (columns + tile - 1) / tile

        // Pass 1: amax per tile. Integer max of the magnitude bits orders like the values (NaN
        // above infinity) and vectorizes, which a float max reduction does not.
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: tileColumns) { amaxBits in
            amaxBits.initialize(repeating: 0)
            for r in rowRange {
                let row = input + r * columns
                for j in 0..<tileColumns {
                    let start = j * tile
                    var largest = amaxBits[j]
                    for c in start..<min(start + tile, columns) {
                        largest = max(largest, row[c].bitPattern & 0x7FFF_FFFF)
                    }
                    amaxBits[j] = largest
                }
            }
            for j in 0..<tileColumns {
                scales[j] = scaleFormat.scale(forAmax: Float(bitPattern: amaxBits[j]))
                statistics[j] = TileStatistics()
            }

            // Pass 2: codes, dequantized values and error sums, row by row.
            withUnsafeTemporaryAllocation(of: Float.self, capacity: tile) { scratch in
                let errors = scratch.baseAddress!
                for r in rowRange {
                    for j in 0..<tileColumns {
                        let offset = r * columns + j * tile
                        statistics[j].add(
                            row: input + offset, codes: output + offset, errors: errors,
                            width: min(tile, columns - j * tile), scale: scales[j])
                    }
                }
            }
            for j in 0..<tileColumns {
                statistics[j].finish(amax: max(Float(bitPattern: amaxBits[j]), 1e-4))
            }
        }
    }
}

/// Error sums of one tile, reduced in tile order into ``QuantizationStatistics``.
struct TileStatistics {
    var signal: Double = 0
    var noise: Double = 0
    var maxErrorBits: UInt32 = 0
    var relativeError: Float = 0
    var flushed = 0

    /// Quantizes one row segment and adds its errors.
    @inline(__always)
    mutating func add(
        row: UnsafePointer<Float>, codes: UnsafeMutablePointer<UInt8>,
        errors: UnsafeMutablePointer<Float>, width: Int, scale: Float
    ) {
        // Codes, errors and the integer reductions in one element-wise loop, which
        // vectorizes (a float max or a short-circuit `&&` here would keep it scalar): the
        // largest error's magnitude bits, and non-zeros that became zero.
        var maxBits = maxErrorBits
        var flushedHere: UInt32 = 0
        for c in 0..<width {
            let w = row[c]
            let (code, value) = Float8E4M3FN.encodeWithValue((w / scale).bitPattern)
            codes[c] = code
            let error = w - value * scale
            errors[c] = error
            maxBits = max(maxBits, error.bitPattern & 0x7FFF_FFFF)
            let lost = (UInt32(code & 0x7F) &- 1) >> 31
            flushedHere &+= isNonZero(w.bitPattern) & lost
        }
        maxErrorBits = maxBits
        flushed += Int(flushedHere)

        // Float sums in eight fixed lanes (a float reduction in a plain loop would not
        // vectorize); each lane holds at most 16 terms before it joins the Double total, which
        // costs about 1e-6 relative accuracy. Squares are formed in float32, so weights beyond
        // about 1.8e19 in magnitude would make the SQNR meaningless; checkpoints are far below.
        var signalLanes = SIMD8<Float>()
        var noiseLanes = SIMD8<Float>()
        var c = 0
        while c + 8 <= width {
            let w = UnsafeRawPointer(row + c).loadUnaligned(as: SIMD8<Float>.self)
            let error = UnsafeRawPointer(errors + c).loadUnaligned(as: SIMD8<Float>.self)
            signalLanes += w * w
            noiseLanes += error * error
            c += 8
        }
        var signalRow = Double(signalLanes.sum())
        var noiseRow = Double(noiseLanes.sum())
        while c < width {
            let error = errors[c]
            signalRow += Double(row[c] * row[c])
            noiseRow += Double(error * error)
            c += 1
        }
        signal += signalRow
        noise += noiseRow
    }

    /// 1 when the float bits are not ±0, else 0, without a comparison.
    @inline(__always)
    private func isNonZero(_ bits: UInt32) -> UInt32 {
        ((bits & 0x7FFF_FFFF) &+ 0x7FFF_FFFF) >> 31
    }

    /// Records the tile's relative error once all rows are in.
    mutating func finish(amax: Float) {
        relativeError = Float(bitPattern: maxErrorBits) / amax
    }

    /// Combines tiles in index order.
    static func reduce(_ tiles: [TileStatistics], elementCount: Int) -> QuantizationStatistics {
        var signal = 0.0
        var noise = 0.0
        var maxError: Float = 0
        var relative: Float = 0
        var flushed = 0
        for tile in tiles {
            signal += tile.signal
            noise += tile.noise
            maxError = largest(maxError, Float(bitPattern: tile.maxErrorBits))
            relative = largest(relative, tile.relativeError)
            flushed += tile.flushed
        }
        return QuantizationStatistics(
            elementCount: elementCount,
            sqnrDecibels: QuantizationStatistics.sqnr(signal: signal, noise: noise),
            maxAbsoluteError: maxError, maxErrorRelativeToAmax: relative, flushedToZero: flushed)
    }

    /// `max` that lets a NaN through, so a broken tile is not hidden.
    private static func largest(_ a: Float, _ b: Float) -> Float {
        a.isNaN || b.isNaN ? .nan : max(a, b)
    }
}
