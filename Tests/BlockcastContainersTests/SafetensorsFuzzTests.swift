import BlockcastContainers
import BlockcastFormats
import BlockcastTestSupport
import Testing

/// Mutated safetensors files, parsed from memory: every case ends in a validated header or a
/// typed error, never a crash or a hang. Seeded, so a failure reproduces.
@Suite struct SafetensorsFuzzTests {
    static let caseCount = 100_000

    /// Valid files to mutate: a few dtypes, shapes, an empty tensor and metadata.
    static func seeds() -> [[UInt8]] {
        let shapes: [[(DType, [Int])]] = [
            [(.float32, [4, 4])],
            [
                (.bfloat16, [8, 3]), (.float8E4M3FN, [5]), (.float32, []), (.int64, [2, 2]),
                (.float32, [0, 3]),
            ],
            (0..<12).map { i in (DType.allCases[i % DType.allCases.count], [i + 1, 2]) },
        ]
        return shapes.enumerated().map { index, list in
            var offset = 0
            var layout: [(spec: TensorSpec, range: Range<Int>)] = []
            for (i, (dtype, shape)) in list.enumerated() {
                let spec = TensorSpec(name: "model.layers.\(i).w", dtype: dtype, shape: shape)
                layout.append((spec, offset..<(offset + spec.byteCount)))
                offset += spec.byteCount
            }
            let metadata = index == 1 ? ["format": "pt"] : [:]
            let header = SafetensorsWriter.header(layout, metadata: metadata)
            return header + (0..<offset).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        }
    }

    /// Replaces the header text, keeping the length field right.
    static func withHeader(_ text: [UInt8], data: ArraySlice<UInt8>) -> [UInt8] {
        withUnsafeBytes(of: UInt64(text.count).littleEndian) { Array($0) } + text + data
    }

    static func mutate(_ file: [UInt8], _ random: inout FixtureRandom) -> [UInt8] {
        var bytes = file
        let headerLength = Int(bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = Array(bytes[8..<(8 + headerLength)])
        let data = bytes[(8 + headerLength)...]
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(max(n, 1))) }

        switch pick(10) {
        case 0:
            // A few random bytes anywhere in the header text.
            for _ in 0...pick(4) {
                bytes[8 + pick(headerLength)] = UInt8(truncatingIfNeeded: random.next())
            }
        case 1:
            // Truncation anywhere.
            bytes.removeLast(pick(bytes.count) + 1)
        case 2:
            // A wrong length field: random, huge, or off by a little.
            let choices: [UInt64] = [
                random.next(), UInt64.max, UInt64(Int.max), UInt64(headerLength + 1 + pick(16)),
                UInt64(max(0, headerLength - 1 - pick(16))), 100_000_001,
            ]
            let value = choices[pick(choices.count)]
            withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
        case 3:
            // Numbers in the JSON replaced: overlapping, out-of-range, negative, enormous.
            let replacements = [
                "0", "1", "-1", "4", "16", "99999999999999999999", "1e30", "9223372036854775807",
                "18446744073709551616", "2.5", "\(data.count)", "\(data.count + 1)",
            ]
            var text = String(decoding: header, as: UTF8.self)
            let digits = text.indices.filter { text[$0].isNumber }
            if !digits.isEmpty {
                let at = digits[pick(digits.count)]
                var end = at
                while end < text.endIndex, text[end].isNumber { end = text.index(after: end) }
                text.replaceSubrange(at..<end, with: replacements[pick(replacements.count)])
            }
            bytes = withHeader(Array(text.utf8), data: data)
        case 4:
            // A duplicate of the first tensor's entry under the same name.
            var text = String(decoding: header, as: UTF8.self)
            if let close = text.firstIndex(of: "}"), text.hasPrefix("{\"") {
                let entry = text[text.index(after: text.startIndex)...close]
                text.insert(contentsOf: entry + ",", at: text.index(after: text.startIndex))
            }
            bytes = withHeader(Array(text.utf8), data: data)
        case 5:
            // Deep nesting.
            let depth = 1 + pick(20_000)
            let text =
                Array(repeating: UInt8(ascii: "["), count: depth)
                + Array(repeating: UInt8(ascii: "]"), count: pick(2) == 0 ? depth : pick(depth))
            bytes = withHeader(text, data: data)
        case 6:
            // Random garbage with a consistent length.
            bytes = withHeader(
                (0..<pick(600)).map { _ in UInt8(truncatingIfNeeded: random.next()) }, data: data)
        case 7:
            // A byte inserted or removed in the header, length kept consistent.
            var text = header
            if pick(2) == 0, !text.isEmpty {
                text.remove(at: pick(text.count))
            } else {
                let inserts: [UInt8] = [0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x2C, 0x3A, 0x00, 0xFF, 0xC3]
                text.insert(inserts[pick(inserts.count)], at: pick(text.count + 1))
            }
            bytes = withHeader(text, data: data)
        case 8:
            // A dtype swapped for another (valid or not), so sizes disagree.
            let names = DType.allCases.map(\.rawValue) + ["F4", "", "f32", "C64"]
            var text = String(decoding: header, as: UTF8.self)
            if let range = text.range(of: "\"dtype\":\"") {
                let end = text[range.upperBound...].firstIndex(of: "\"")!
                text.replaceSubrange(range.upperBound..<end, with: names[pick(names.count)])
            }
            bytes = withHeader(Array(text.utf8), data: data)
        default:
            // The data area cut or extended.
            if pick(2) == 0, !data.isEmpty {
                bytes.removeLast(1 + pick(data.count))
            } else {
                bytes += (0..<(1 + pick(64))).map { _ in 0 }
            }
        }
        return bytes
    }

    @Test func mutatedFilesGiveAHeaderOrATypedError() {
        let seeds = SafetensorsFuzzTests.seeds()
        var random = FixtureRandom(seed: 0x5EED)
        var refused: [ContainerError.Code: Int] = [:]
        var accepted = 0

        for index in 0..<SafetensorsFuzzTests.caseCount {
            let bytes = SafetensorsFuzzTests.mutate(seeds[index % seeds.count], &random)
            bytes.withUnsafeBytes { raw in
                do throws(ContainerError) {
                    let header = try SafetensorsHeader.parse(raw, file: "fuzz")
                    accepted += 1
                    SafetensorsFuzzTests.checkInvariants(header, fileSize: raw.count, raw)
                } catch {
                    refused[error.code, default: 0] += 1
                    if error.message.isEmpty || !error.message.contains("'fuzz'") {
                        Issue.record("case \(index): message lacks the file: \(error)")
                    }
                }
            }
        }
        let total = refused.values.reduce(0, +)
        #expect(total + accepted == SafetensorsFuzzTests.caseCount)
        #expect(total > SafetensorsFuzzTests.caseCount / 2, "refused \(refused)")
        #expect(accepted > 0)
        #expect(refused[.corrupt, default: 0] > 0 && refused[.shapeMismatch, default: 0] > 0)
        #expect(refused[.duplicateTensor, default: 0] > 0)
    }

    /// What an accepted header promises, checked independently of the parser.
    static func checkInvariants(
        _ header: SafetensorsHeader, fileSize: Int, _ raw: UnsafeRawBufferPointer
    ) {
        let dataSize = fileSize - header.dataStart
        #expect(header.dataStart >= 8 && header.dataStart <= fileSize)
        var checksum: UInt8 = 0
        for entry in header.entries {
            #expect(entry.range.lowerBound >= 0 && entry.range.upperBound <= dataSize)
            #expect(entry.range.count == entry.shape.reduce(1, *) * entry.dtype.byteWidth)
            if !entry.range.isEmpty {
                // Touch the first and last byte: they must be inside the buffer.
                checksum ^= raw[header.dataStart + entry.range.lowerBound]
                checksum ^= raw[header.dataStart + entry.range.upperBound - 1]
            }
        }
        let ranges = header.entries.map(\.range).filter { !$0.isEmpty }
        for i in ranges.indices {
            for j in ranges.indices where j > i {
                #expect(!ranges[i].overlaps(ranges[j]))
            }
        }
        _ = checksum
    }
}
