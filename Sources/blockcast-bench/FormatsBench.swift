import BlockcastFormats
import Foundation

/// Throughput of the number formats and the block quantizer, against memcpy.
///
/// Codec figures are GB/s of float32 input (or output, for decoders). The memcpy figure is
/// GB/s of bytes copied, measured on the same buffer size, so `…/memcpy` ratios say how close
/// a kernel comes to just moving its input through memory.
enum FormatsBench {
    /// Elements in the codec buffers: 128 MiB of float32, far beyond any cache.
    static let elements = 1 << 25
    /// The block quantizer's matrix edge (a 4096 × 4096 weight is typical of large models).
    static let matrixEdge = 4096
    /// Timed runs per figure: each takes a few milliseconds, so the median of many shrugs off
    /// the bursts of a shared machine that a median of five did not.
    static let repetitions = 21

    static func run() {
        let all = Parallelism.threadCount
        print("# formats: \(elements) float32 elements; threads 1 and \(all)")

        let source = UnsafeMutableBufferPointer<Float>.allocate(capacity: elements)
        let copy = UnsafeMutableBufferPointer<Float>.allocate(capacity: elements)
        let bytes8 = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: elements)
        let words16 = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: elements)
        defer {
            source.deallocate()
            copy.deallocate()
            bytes8.deallocate()
            words16.deallocate()
        }
        fillWeights(source)
        copy.initialize(repeating: 0)
        bytes8.initialize(repeating: 0)
        words16.initialize(repeating: 0)
        let input = UnsafeBufferPointer(source)
        let inputBytes = elements * 4

        var memcpyAll = 0.0
        for threads in [1, all] {
            let bandwidth = Bench.withThreads(threads) {
                Bench.measure(
                    name: "memcpy threads=\(threads)", bytes: inputBytes, repetitions: repetitions
                ) {
                    parallelCopy(input, copy)
                }
            }
            if threads == all { memcpyAll = bandwidth }
        }

        let encoders: [(String, () -> Void)] = [
            ("encode float8_e4m3fn", { Float8E4M3FN.encode(input, into: bytes8) }),
            ("encode float8_e5m2", { Float8E5M2.encode(input, into: bytes8) }),
            ("encode bfloat16", { BFloat16.encode(input, into: words16) }),
            ("encode float16", { Half.encode(input, into: words16) }),
            (
                "decode float8_e4m3fn",
                { Float8E4M3FN.decode(UnsafeBufferPointer(bytes8), into: copy) }
            ),
            ("decode bfloat16", { BFloat16.decode(UnsafeBufferPointer(words16), into: copy) }),
        ]
        for (name, body) in encoders {
            for threads in [1, all] {
                let throughput = Bench.withThreads(threads) {
                    Bench.measure(
                        name: "\(name) threads=\(threads)", bytes: inputBytes,
                        repetitions: repetitions, body)
                }
                if threads == all {
                    Bench.report(name: "\(name)/memcpy", value: throughput / memcpyAll, unit: "x")
                }
            }
        }

        runBlockQuantizer(memcpy: memcpyAll)
    }

    /// The 128 × 128 quantizer (with its error statistics) on a 4096 × 4096 weight: into
    /// caller-owned buffers (the kernel alone), and through the array-returning API (which
    /// also pays for page-faulting a fresh 16 MiB output every call).
    static func runBlockQuantizer(memcpy: Double) {
        let all = Parallelism.threadCount
        let count = matrixEdge * matrixEdge
        let weights = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        let codes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: count)
        let tiles = BlockShape.deepSeek.tileCounts(rows: matrixEdge, columns: matrixEdge)
        let scales = UnsafeMutableBufferPointer<Float>.allocate(
            capacity: tiles.rows * tiles.columns)
        defer {
            weights.deallocate()
            codes.deallocate()
            scales.deallocate()
        }
        fillWeights(weights)
        codes.initialize(repeating: 0)
        let input = UnsafeBufferPointer(weights)
        let shape = "\(matrixEdge)x\(matrixEdge)"

        for threads in [1, all] {
            let throughput = Bench.withThreads(threads) {
                Bench.measure(
                    name: "blockquant 128x128 \(shape) threads=\(threads)", bytes: count * 4,
                    repetitions: repetitions
                ) {
                    _ = BlockQuantizer.quantize(
                        input, rows: matrixEdge, columns: matrixEdge, codes: codes,
                        scaleInverse: scales)
                }
            }
            if threads == all {
                Bench.report(name: "blockquant/memcpy", value: throughput / memcpy, unit: "x")
            }
        }
        let allocating = Bench.measure(
            name: "blockquant 128x128 \(shape) arrays threads=\(all)", bytes: count * 4,
            repetitions: repetitions
        ) {
            _ = BlockQuantizer.quantize(input, rows: matrixEdge, columns: matrixEdge)
        }
        Bench.report(name: "blockquant arrays/memcpy", value: allocating / memcpy, unit: "x")
    }

    /// Weight-like values: a bell of small numbers with occasional outliers, deterministic.
    static func fillWeights(_ buffer: UnsafeMutableBufferPointer<Float>) {
        var state: UInt64 = 0x1234_5678
        for i in buffer.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let u = Float(state >> 40) / Float(1 << 24) - 0.5
            buffer[i] = (i % 4099 == 0 ? 40 : 1) * u * u * u * 0.1
        }
    }

    /// memcpy split over ``Parallelism/threadCount`` threads in 4 MiB pieces.
    static func parallelCopy(
        _ source: UnsafeBufferPointer<Float>, _ destination: UnsafeMutableBufferPointer<Float>
    ) {
        let piece = 1 << 20
        let pieces = (source.count + piece - 1) / piece
        let from = source.baseAddress!
        let to = destination.baseAddress!
        parallelFor(pieces) { p in
            let start = p * piece
            let n = min(piece, source.count - start)
            memcpy(to + start, from + start, n * MemoryLayout<Float>.stride)
        }
    }
}
