import BlockcastFormats
import Testing

/// Every float32 bit pattern through every bulk encoder (e8m0 included) and the quantizer's
/// fused E4M3 encoder, and every code through every decoder.
///
/// How the 2^32 sweeps stay fast (about 5 s of wall time for the suite in
/// `swift test -c release` on two cores, 9.5 s of CPU; it needs release mode, and the fused
/// encoder is `@inlinable` so the sweep inlines it): workers each own one 64 Ki-element
/// buffer, fill it with consecutive bit patterns, call the public bulk encoder (one chunk, so
/// it runs on the calling worker), and compare the output with the reference table run by
/// run: inside one run of inputs that share an expected code, the comparison is a branch-free
/// OR of differences that vectorizes. NaN inputs are checked one by one against the
/// documented NaN codes.
@Suite struct CodecExhaustiveTests {
    /// One format's bulk encoder and its expected output for NaN inputs.
    struct Case: Sendable, CustomStringConvertible {
        var format: ReferenceFormat
        var encode8:
            (@Sendable (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<UInt8>) -> Void)?
        var encode16:
            (@Sendable (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<UInt16>) -> Void)?
        /// Whether `code` is the right output for the NaN input with bits `input`.
        var nanMatches: @Sendable (_ input: UInt32, _ code: UInt32) -> Bool
        var description: String { format.name }
    }

    static let cases: [Case] = [
        Case(
            format: .e4m3fn, encode8: { Float8E4M3FN.encode($0, into: $1) }, encode16: nil,
            nanMatches: { input, code in code == 0x7F | (input >> 24) & 0x80 }),
        Case(
            format: .e5m2, encode8: { Float8E5M2.encode($0, into: $1) }, encode16: nil,
            nanMatches: { input, code in code == 0x7F | (input >> 24) & 0x80 }),
        Case(
            format: .bfloat16, encode8: nil, encode16: { BFloat16.encode($0, into: $1) },
            nanMatches: { _, code in code == 0x7FC0 }),
        Case(
            format: .float16, encode8: nil, encode16: { Half.encode($0, into: $1) },
            nanMatches: { input, code in
                // Any quiet-or-signalling NaN is fine as long as it keeps the sign.
                code & 0x7FFF > 0x7C00 && code & 0x8000 == (input >> 16) & 0x8000
            }),
    ]

    @Test(arguments: cases)
    func everyFloat32BitPatternRoundsAsTheReference(_ testCase: Case) {
        let table = testCase.format.roundingTable()
        let starts = table.map(\.start)
        let codes = table.map { UInt32($0.code) }
        let signBit = UInt32(testCase.format.signBit)

        let result = sweepEveryBitPattern { base, buffers, result in
            if let encode = testCase.encode8 {
                encode(buffers.floats, buffers.codes8)
                compareChunk(
                    base: base, output: buffers.codes8, starts: starts, codes: codes,
                    signBit: signBit, nanMatches: testCase.nanMatches, result: &result)
            } else {
                testCase.encode16!(buffers.floats, buffers.codes16)
                compareChunk(
                    base: base, output: buffers.codes16, starts: starts, codes: codes,
                    signBit: signBit, nanMatches: testCase.nanMatches, result: &result)
            }
        }

        let first = result.first
        #expect(
            result.failures == 0,
            """
            \(testCase.format.name): \(result.failures) mismatches; first: input 0x\
            \(String(first?.input ?? 0, radix: 16)) expected 0x\
            \(String(first?.expected ?? 0, radix: 16)) observed 0x\
            \(String(first?.observed ?? 0, radix: 16))
            """)
    }

    /// The quantizer's fused encoder, `encodeWithValue`, over every float32 bit pattern: its
    /// code equals `encodeBits` (which the sweep above proves right) everywhere, and for
    /// non-NaN inputs its value has the bits of `decodeValue` of that code (for NaN inputs the
    /// value is documented as meaningless, so only the code counts).
    ///
    /// `encodeBits` and `decodeValue` are reached through the bulk codecs, which apply exactly
    /// them element by element: calls into the module are not inlined here, and one call per
    /// element (to `encodeWithValue`) is all the sweep can afford.
    @Test func quantizerEncoderAgreesWithTheCheckedEncoderAndDecoder() {
        let result = sweepEveryBitPattern { base, buffers, result in
            Float8E4M3FN.encode(buffers.floats, into: buffers.codes8)
            for i in 0..<sweepChunk {
                let (code, value) = Float8E4M3FN.encodeWithValue(base &+ UInt32(i))
                buffers.fusedCodes[i] = code
                buffers.fusedValues[i] = value
            }
            Float8E4M3FN.decode(UnsafeBufferPointer(buffers.fusedCodes), into: buffers.decoded)

            // One OR-accumulated pass that vectorizes; element by element only on a mismatch.
            var difference: UInt32 = 0
            for i in 0..<sweepChunk { difference |= buffers.fusedDifference(base, i) }
            guard difference != 0 else { return }
            for i in 0..<sweepChunk where buffers.fusedDifference(base, i) != 0 {
                result.failures += 1
                if result.first == nil { result.first = (base &+ UInt32(i), 0, 0) }
            }
        }

        // Recomputed for the first mismatch only, to say what went wrong.
        let input = result.first?.input ?? 0
        let fused = Float8E4M3FN.encodeWithValue(input)
        let code = Float8E4M3FN.encodeBits(input)
        #expect(
            result.failures == 0,
            """
            encodeWithValue: \(result.failures) mismatches; first: input 0x\
            \(String(input, radix: 16)) gave code 0x\(String(fused.code, radix: 16)) value \
            \(fused.value) (bits 0x\(String(fused.value.bitPattern, radix: 16))); encodeBits \
            0x\(String(code, radix: 16)), decodeValue of its code \
            \(Float8E4M3FN.decodeValue(fused.code))
            """)
    }

    /// e8m0's bulk encoder over every float32 bit pattern against ``ReferenceE8M0``, run by
    /// run, after checking the run table against the case-by-case reading of the contract on
    /// both sides of every run boundary.
    @Test func everyFloat32BitPatternEncodesToE8M0AsTheReference() {
        let table = ReferenceE8M0.runTable()
        for (index, run) in table.enumerated() {
            // Before the first run, bit pattern 0 - 1 wraps to the last one (negative NaNs).
            let previous = index == 0 ? table[table.count - 1].code : table[index - 1].code
            let first = Float(bitPattern: run.start)
            let last = Float(bitPattern: run.start &- 1)
            #expect(ReferenceE8M0.code(first) == run.code, "run \(index) starts at \(first)")
            #expect(ReferenceE8M0.code(last) == previous, "run \(index) follows \(last)")
        }

        let starts = table.map(\.start)
        let codes = table.map(\.code)
        let result = sweepEveryBitPattern { base, buffers, result in
            E8M0.encode(buffers.floats, into: buffers.codes8)
            compareRuns(
                base: base, output: buffers.codes8, starts: starts, codes: codes, result: &result)
        }
        let first = result.first
        #expect(
            result.failures == 0,
            """
            e8m0: \(result.failures) mismatches; first: input 0x\
            \(String(first?.input ?? 0, radix: 16)) expected 0x\
            \(String(first?.expected ?? 0, radix: 16)) observed 0x\
            \(String(first?.observed ?? 0, radix: 16))
            """)
    }

    @Test(arguments: [ReferenceFormat.e4m3fn, .e5m2])
    func every8BitCodeDecodesToItsDefinition(_ format: ReferenceFormat) {
        let codes = (0..<256).map { UInt8($0) }
        var bulk = [Float](repeating: 0, count: 256)
        codes.withUnsafeBufferPointer { source in
            bulk.withUnsafeMutableBufferPointer { out in
                format.name == "float8_e4m3fn"
                    ? Float8E4M3FN.decode(source, into: out) : Float8E5M2.decode(source, into: out)
            }
        }
        for code in codes {
            let scalar =
                format.name == "float8_e4m3fn"
                ? Float8E4M3FN.decode(code) : Float8E5M2.decode(code)
            let expected = format.value(Int(code))
            #expect(sameValue(scalar, expected), "\(format) 0x\(String(code, radix: 16))")
            #expect(
                sameValue(bulk[Int(code)], expected), "\(format) bulk 0x\(String(code, radix: 16))")
        }
    }

    @Test(arguments: [ReferenceFormat.bfloat16, .float16])
    func every16BitCodeDecodesToItsDefinition(_ format: ReferenceFormat) {
        let codes = (0..<65536).map { UInt16($0) }
        var bulk = [Float](repeating: 0, count: codes.count)
        codes.withUnsafeBufferPointer { source in
            bulk.withUnsafeMutableBufferPointer { out in
                format.name == "bfloat16"
                    ? BFloat16.decode(source, into: out) : Half.decode(source, into: out)
            }
        }
        var failures: [UInt16] = []
        for code in codes {
            let scalar = format.name == "bfloat16" ? BFloat16.decode(code) : Half.decode(code)
            let expected = format.value(Int(code))
            if !sameValue(scalar, expected) || !sameValue(bulk[Int(code)], expected) {
                failures.append(code)
            }
        }
        #expect(failures.isEmpty, "\(format): codes decoding wrongly: \(failures.prefix(8))")
    }

    /// The same number (zeros by sign), or both NaN with the same sign.
    private func sameValue(_ observed: Float, _ expected: Double) -> Bool {
        if expected.isNaN { return observed.isNaN && observed.sign == expected.sign }
        return Double(observed) == expected && observed.sign == expected.sign
    }
}

/// What one worker of the sweep found.
struct SweepResult {
    var failures = 0
    var first: (input: UInt32, expected: UInt32, observed: UInt32)?
}

/// The elements per chunk of the sweeps: the bulk codecs' own chunk, so a bulk encoder called
/// on one chunk runs on the calling worker instead of spreading it over the others again.
private let sweepChunk = 1 << 16

/// One worker's buffers for the sweeps, each one chunk long, allocated once per sweep.
private final class SweepBuffers {
    /// The chunk's input bit patterns, `base, base + 1, …`.
    let bits = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: sweepChunk)
    /// Output of the 8-bit bulk encoders.
    let codes8 = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: sweepChunk)
    /// Output of the 16-bit bulk encoders.
    let codes16 = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: sweepChunk)
    /// The fused encoder's codes and values, and the values decoded from those codes.
    let fusedCodes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: sweepChunk)
    let fusedValues = UnsafeMutableBufferPointer<Float>.allocate(capacity: sweepChunk)
    let decoded = UnsafeMutableBufferPointer<Float>.allocate(capacity: sweepChunk)

    /// ``bits`` seen as floats, which is how the bulk encoders take them.
    var floats: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(
            start: UnsafeRawPointer(bits.baseAddress!).assumingMemoryBound(to: Float.self),
            count: sweepChunk)
    }

    deinit {
        bits.deallocate()
        codes8.deallocate()
        codes16.deallocate()
        fusedCodes.deallocate()
        fusedValues.deallocate()
        decoded.deallocate()
    }

    /// 0 when the fused encoder agrees at element `i` of the chunk at `base` (its code equal to
    /// ``codes8``'s, and for a non-NaN input its value's bits equal to ``decoded``'s), else
    /// non-zero; branch-free, so the loop over it vectorizes.
    @inline(__always)
    func fusedDifference(_ base: UInt32, _ i: Int) -> UInt32 {
        let codeDifference = UInt32(fusedCodes[i] ^ codes8[i])
        let valueDifference = fusedValues[i].bitPattern ^ decoded[i].bitPattern

        // All ones for non-NaN inputs and zero for NaN ones, without a comparison: the
        // subtraction wraps (setting the top bit) exactly when the magnitude bits lie above
        // infinity's.
        let magnitude = (base &+ UInt32(i)) & 0x7FFF_FFFF
        let notNaN = ((0x7F80_0000 &- magnitude) >> 31) &- 1
        return codeDifference | valueDifference & notNaN
    }
}

/// Calls `check(base, buffers, &result)` for every 64 Ki-element chunk of the 2^32 float32
/// bit patterns, with `buffers.bits` holding the chunk's patterns, and merges what the
/// workers found.
///
/// Chunks are dealt round-robin to ``Parallelism/threadCount`` workers, each owning its
/// buffers, so the sweep allocates nothing per chunk.
private func sweepEveryBitPattern(
    _ check: (_ base: UInt32, _ buffers: SweepBuffers, _ result: inout SweepResult) -> Void
) -> SweepResult {
    let chunkCount = (1 << 32) / sweepChunk
    let workers = max(1, Parallelism.threadCount)
    let results = UnsafeMutableBufferPointer<SweepResult>.allocate(capacity: workers)
    defer { results.deallocate() }
    results.initialize(repeating: SweepResult())

    parallelFor(workers) { worker in
        let buffers = SweepBuffers()
        var result = SweepResult()
        for c in stride(from: worker, to: chunkCount, by: workers) {
            let base = UInt32(c * sweepChunk)
            for i in 0..<sweepChunk { buffers.bits[i] = base &+ UInt32(i) }
            check(base, buffers, &result)
        }
        results[worker] = result
    }

    var merged = SweepResult()
    merged.failures = results.reduce(0) { $0 + $1.failures }
    merged.first = results.compactMap(\.first).min { $0.input < $1.input }
    return merged
}

/// Compares one chunk of encoder output with a run table covering every bit pattern (signs,
/// infinities and NaNs included), such as ``ReferenceE8M0/runTable()``.
private func compareRuns(
    base: UInt32, output: UnsafeMutableBufferPointer<UInt8>, starts: [UInt32], codes: [UInt8],
    result: inout SweepResult
) {
    let first = UInt64(base)
    let end = first + UInt64(output.count)
    var position = first
    var entry = starts.lastIndex { UInt64($0) <= position }!
    while position < end {
        let next = entry + 1 < starts.count ? UInt64(starts[entry + 1]) : 1 << 32
        let runEnd = min(next, end)
        let expected = codes[entry]
        let lower = Int(position - first)
        let upper = Int(runEnd - first)
        // Branch-free inside the run so it vectorizes; element by element only on a mismatch.
        var difference: UInt8 = 0
        for i in lower..<upper { difference |= output[i] ^ expected }
        if difference != 0 {
            for i in lower..<upper where output[i] != expected {
                result.failures += 1
                if result.first == nil {
                    result.first = (base &+ UInt32(i), UInt32(expected), UInt32(output[i]))
                }
            }
        }
        position = runEnd
        entry += 1
    }
}

/// Compares one chunk of encoder output with the reference table.
private func compareChunk<Code: FixedWidthInteger & UnsignedInteger>(
    base: UInt32, output: UnsafeMutableBufferPointer<Code>, starts: [UInt32], codes: [UInt32],
    signBit: UInt32, nanMatches: (UInt32, UInt32) -> Bool, result: inout SweepResult
) {
    let count = output.count
    // Chunks are aligned, so the whole chunk has one sign.
    let sign = base & 0x8000_0000 != 0 ? signBit : 0
    let first = base & 0x7FFF_FFFF
    let end = UInt64(first) + UInt64(count)
    let infinity: UInt64 = 0x7F80_0000

    func record(_ offset: Int, _ expected: UInt32) {
        result.failures += 1
        if result.first == nil {
            result.first = (base &+ UInt32(offset), expected, UInt32(output[offset]))
        }
    }

    // Runs of equal expected code, up to and including infinity.
    var position = UInt64(first)
    var entry = starts.lastIndex { UInt64($0) <= position } ?? 0
    while position < min(end, infinity + 1) {
        let next = entry + 1 < starts.count ? UInt64(starts[entry + 1]) : infinity + 1
        let runEnd = min(next, end, infinity + 1)
        let expected = Code(truncatingIfNeeded: codes[entry] | sign)
        let lower = Int(position - UInt64(first))
        let upper = Int(runEnd - UInt64(first))
        var difference: Code = 0
        for i in lower..<upper { difference |= output[i] ^ expected }
        if difference != 0 {
            for i in lower..<upper where output[i] != expected { record(i, UInt32(expected)) }
        }
        position = runEnd
        entry += 1
    }

    // NaN inputs.
    while position < end {
        let offset = Int(position - UInt64(first))
        let input = base &+ UInt32(offset)
        if !nanMatches(input, UInt32(output[offset])) { record(offset, 0xFFFF_FFFF) }
        position += 1
    }
}
