import BlockcastContainers
import BlockcastTestSupport
import Testing

@Suite struct XXHash64Tests {
    /// Published reference values (xxHash's own tests and the python-xxhash documentation).
    @Test(arguments: [
        ("", 0xEF46_DB37_51D8_E999 as UInt64),
        ("abc", 0x44BC_2CF5_AD77_0999),
        ("Nobody inspects the spammish repetition", 0xFBCE_A83C_8A37_8BF1),
    ])
    func matchesReferenceVectors(text: String, expected: UInt64) {
        #expect(XXHash64.hash(Array(text.utf8)) == expected)
    }

    /// Every length from 0 to 200 (each tail path and stripe count), against a separate
    /// implementation in Python, so a slip in one branch cannot hide.
    @Test func agreesWithAnIndependentImplementationAtEveryLength() throws {
        let script = """
            M = (1 << 64) - 1
            P1, P2, P3 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9
            P4, P5 = 0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5
            rot = lambda x, r: ((x << r) | (x >> (64 - r))) & M
            def rnd(a, x): return rot((a + x * P2) & M, 31) * P1 & M
            def xxh64(b):
                n, i = len(b), 0
                u64 = lambda j: int.from_bytes(b[j:j + 8], 'little')
                if n >= 32:
                    v = [(P1 + P2) & M, P2, 0, (-P1) & M]
                    while i + 32 <= n:
                        v = [rnd(v[k], u64(i + 8 * k)) for k in range(4)]
                        i += 32
                    h = (rot(v[0], 1) + rot(v[1], 7) + rot(v[2], 12) + rot(v[3], 18)) & M
                    for x in v:
                        h = ((h ^ rnd(0, x)) * P1 + P4) & M
                else:
                    h = P5
                h = (h + n) & M
                while i + 8 <= n:
                    h = (rot(h ^ rnd(0, u64(i)), 27) * P1 + P4) & M
                    i += 8
                if i + 4 <= n:
                    h = (rot(h ^ (int.from_bytes(b[i:i + 4], 'little') * P1 & M), 23) * P2 + P3) & M
                    i += 4
                while i < n:
                    h = rot(h ^ (b[i] * P5 & M), 11) * P1 & M
                    i += 1
                h ^= h >> 33; h = h * P2 & M; h ^= h >> 29; h = h * P3 & M; h ^= h >> 32
                return h
            data = bytes((i * 131 + 7) % 256 for i in range(200))
            print(' '.join('%016x' % xxh64(data[:n]) for n in range(201)))
            """
        let expected = try Python.run(script: script).split(separator: " ").map {
            $0.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let data = (0..<200).map { UInt8(($0 * 131 + 7) % 256) }
        #expect(expected.count == 201)
        for length in 0...200 where length < expected.count {
            let hash = XXHash64.hex(XXHash64.hash(Array(data.prefix(length))))
            #expect(hash == expected[length], "length \(length)")
        }
    }
}
