import CZstd

/// Whole zstd frames in and out of caller buffers, for chunks compressed off HDF5's filter
/// pipeline (several at once, on several threads).
enum ZstdFrames {
    /// `input` as one zstd frame at `level` (content size recorded), or nil on failure.
    static func compress(_ input: UnsafeRawBufferPointer, level: Int32) -> [UInt8]? {
        let bound = ZSTD_compressBound(input.count)
        var failed = false
        let frame = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            let written = ZSTD_compress(
                buffer.baseAddress, bound, input.baseAddress, input.count, level)
            if ZSTD_isError(written) != 0 {
                failed = true
                count = 0
            } else {
                count = written
            }
        }
        return failed ? nil : frame
    }

    /// Decompresses the single frame `input` into `output`, which it must fill exactly.
    static func decompress(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) -> Bool {
        guard let source = input.baseAddress else { return false }
        let declared = ZSTD_getFrameContentSize(source, input.count)
        guard declared == UInt64(output.count) else { return false }
        let produced = ZSTD_decompress(output.baseAddress, output.count, source, input.count)
        return ZSTD_isError(produced) == 0 && produced == output.count
    }
}
