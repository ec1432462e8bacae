import BlockcastFormats
import Testing

/// Every float32 bit pattern through every bulk encoder, and every code through every decoder.
///
/// How the 2^32 sweep stays fast (about 3 s for all four formats in `swift test -c release` on
/// two idle cores; it needs release mode): workers each own one 64 Ki-element buffer, fill it
/// with consecutive bit patterns, call the public bulk encoder (one chunk, so it runs on the
/// calling worker), and compare the output with the reference rounding table run by run:
/// inside one run of inputs that share an expected code, the comparison is a branch-free OR of
/// differences that vectorizes. NaN inputs are checked one by one against the documented NaN
/// codes.
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
        let chunk = 1 << 16
        let chunkCount = (1 << 32) / chunk
        let workers = max(1, Parallelism.threadCount)
        let results = UnsafeMutableBufferPointer<SweepResult>.allocate(capacity: workers)
        defer { results.deallocate() }
        results.initialize(repeating: SweepResult())

        parallelFor(workers) { worker in
            let input = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: chunk)
            let narrow8 = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: chunk)
            let narrow16 = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: chunk)
            defer {
                input.deallocate()
                narrow8.deallocate()
                narrow16.deallocate()
            }
            var result = SweepResult()

            for c in stride(from: worker, to: chunkCount, by: workers) {
                let base = UInt32(c * chunk)
                for i in 0..<chunk { input[i] = base &+ UInt32(i) }
                let floats = UnsafeBufferPointer(
                    start: UnsafeRawPointer(input.baseAddress!).assumingMemoryBound(to: Float.self),
                    count: chunk)
                if let encode = testCase.encode8 {
                    encode(floats, narrow8)
                    compareChunk(
                        base: base, output: narrow8, starts: starts, codes: codes,
                        signBit: signBit, nanMatches: testCase.nanMatches, result: &result)
                } else {
                    testCase.encode16!(floats, narrow16)
                    compareChunk(
                        base: base, output: narrow16, starts: starts, codes: codes,
                        signBit: signBit, nanMatches: testCase.nanMatches, result: &result)
                }
            }
            results[worker] = result
        }

        let failures = results.reduce(0) { $0 + $1.failures }
        let first = results.compactMap(\.first).min { $0.input < $1.input }
        #expect(
            failures == 0,
            """
            \(testCase.format.name): \(failures) mismatches; first: input 0x\
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
