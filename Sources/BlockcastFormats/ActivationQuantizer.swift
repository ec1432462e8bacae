/// Per-token activation quantization to FP8 E4M3 in 1 × 128 tiles (the FP8 GEMM path).
///
/// For each row and each group of 128 consecutive columns: `s = max(amax, 1e-4) / 448` (with
/// ue8m0, its power-of-two ceiling), `a_q = e4m3(x / s)`.
public enum ActivationQuantizer {
    /// The group width, 128.
    public static let groupWidth = 128

    /// Quantizes a row-major `rows × columns` float32 activation into `codes` (same shape) and
    /// `scales` (`rows × ceil(columns / 128)`, row-major).
    public static func quantize(
        _ x: UnsafeBufferPointer<Float>, rows: Int, columns: Int,
        scaleFormat: ScaleFormat = .float32, codes: UnsafeMutableBufferPointer<UInt8>,
        scales: UnsafeMutableBufferPointer<Float>
    ) {
        let groups = (columns + groupWidth - 1) / groupWidth
        precondition(
            x.count == rows * columns && codes.count == rows * columns,
            "quantize: \(x.count) inputs, \(codes.count) codes for \(rows)×\(columns)")
        precondition(
            scales.count == rows * groups, "quantize: \(scales.count) scales for \(rows)×\(groups)")
        guard let input = x.baseAddress, let output = codes.baseAddress,
            let scaleOut = scales.baseAddress
        else { return }

        // Rows are independent, so chunking only has to keep tasks reasonably large.
        let rowsPerChunk = max(1, (1 << 15) / max(columns, 1))
        let chunks = (rows + rowsPerChunk - 1) / rowsPerChunk
        parallelFor(chunks) { chunk in
            for r in (chunk * rowsPerChunk)..<min((chunk + 1) * rowsPerChunk, rows) {
                for g in 0..<groups {
                    let start = g * groupWidth
                    let width = min(groupWidth, columns - start)
                    let offset = r * columns + start
                    scaleOut[r * groups + g] = quantizeGroup(
                        input + offset, output + offset, width: width, scaleFormat)
                }
            }
        }
    }

    /// Quantizes one group and returns its scale.
    @inline(__always)
    private static func quantizeGroup(
        _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<UInt8>, width: Int,
        _ scaleFormat: ScaleFormat
    ) -> Float {
        var amaxBits: UInt32 = 0
        for c in 0..<width { amaxBits = max(amaxBits, input[c].bitPattern & 0x7FFF_FFFF) }
        let scale = scaleFormat.scale(forAmax: Float(bitPattern: amaxBits))
        for c in 0..<width { output[c] = Float8E4M3FN.encodeBits((input[c] / scale).bitPattern) }
        return scale
    }
}
