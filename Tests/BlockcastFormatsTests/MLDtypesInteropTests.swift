import BlockcastFormats
import BlockcastTestSupport
import Foundation
import Testing

/// Our encoders against ml_dtypes (run in the project venv on the same inputs).
///
/// Where the two differ by design, the test checks the difference is exactly that:
/// - float8_e4m3fn beyond the finite range (|x| > 464 after rounding, and ±inf): ml_dtypes
///   gives NaN, we saturate to ±448 like PyTorch.
/// - NaN inputs: payloads and canonical codes differ between libraries (ml_dtypes' E5M2 NaN is
///   0x7E, ours 0x7F like PyTorch; bfloat16 keeps the sign there, PyTorch's is always 0x7FC0),
///   so NaN-ness is compared.
@Suite struct MLDtypesInteropTests {
    static let script = """
        import sys, numpy as np, ml_dtypes
        folder = sys.argv[1]
        x = np.fromfile(folder + "/input.f32", dtype=np.float32)
        with np.errstate(all="ignore"):
            for name, t in [("e4m3", ml_dtypes.float8_e4m3fn), ("e5m2", ml_dtypes.float8_e5m2),
                            ("bf16", ml_dtypes.bfloat16), ("f16", np.float16)]:
                x.astype(t).tofile(folder + "/" + name + ".bin")
        print(ml_dtypes.__version__)
        """

    @Test func agreesWithMLDtypesOnARandomSampleAndTheEdgeCases() throws {
        let inputs = Self.sample()
        let folder = try Python.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try inputs.withUnsafeBytes {
            try Data($0).write(to: folder.appendingPathComponent("input.f32"))
        }
        _ = try Python.run(script: Self.script, arguments: [folder.path])
        func read(_ name: String) throws -> Data {
            try Data(contentsOf: folder.appendingPathComponent(name + ".bin"))
        }
        let theirE4M3 = [UInt8](try read("e4m3"))
        let theirE5M2 = [UInt8](try read("e5m2"))
        let theirBF16 = Self.words(try read("bf16"))
        let theirF16 = Self.words(try read("f16"))
        try #require(theirE4M3.count == inputs.count && theirBF16.count == inputs.count)

        var problems: [String] = []
        var saturatedByDesign = 0
        for (i, x) in inputs.enumerated() {
            let e4m3 = Float8E4M3FN.encode(x)
            let e5m2 = Float8E5M2.encode(x)
            let bf16 = BFloat16.encode(x)
            let f16 = Half.encode(x)
            if x.isNaN {
                if !(Float8E4M3FN.decode(theirE4M3[i]).isNaN && Float8E4M3FN.decode(e4m3).isNaN
                    && Float8E5M2.decode(theirE5M2[i]).isNaN && Float8E5M2.decode(e5m2).isNaN
                    && BFloat16.decode(theirBF16[i]).isNaN && BFloat16.decode(bf16).isNaN
                    && Half.decode(theirF16[i]).isNaN && Half.decode(f16).isNaN)
                {
                    problems.append("NaN 0x\(String(x.bitPattern, radix: 16))")
                }
                continue
            }
            if abs(x) > 464 {
                // Saturation (ours) against NaN (ml_dtypes), by design.
                if e4m3 & 0x7F != 0x7E || theirE4M3[i] & 0x7F != 0x7F {
                    problems.append("e4m3 overflow of \(x): ours \(e4m3), theirs \(theirE4M3[i])")
                }
                saturatedByDesign += 1
            } else if e4m3 != theirE4M3[i] {
                problems.append("e4m3 of \(x): ours \(e4m3), theirs \(theirE4M3[i])")
            }
            if e5m2 != theirE5M2[i] {
                problems.append("e5m2 of \(x): ours \(e5m2), theirs \(theirE5M2[i])")
            }
            if bf16 != theirBF16[i] {
                problems.append("bf16 of \(x): ours \(bf16), theirs \(theirBF16[i])")
            }
            if f16 != theirF16[i] {
                problems.append("f16 of \(x): ours \(f16), theirs \(theirF16[i])")
            }
        }
        #expect(problems.isEmpty, "\(problems.count) disagreements, first: \(problems.prefix(5))")
        #expect(saturatedByDesign > 1000, "the sample should reach the overflow range")
    }

    /// Edge cases, 500 000 random bit patterns and 500 000 values spread over the ranges the
    /// formats care about (scaled around 448, 57344, subnormals and ordinary weights).
    static func sample() -> [Float] {
        var values: [Float] = [
            448, 463.9, 464, 464.1, 480, 1e6, .infinity, -.infinity, .nan, 0x1p-10,
            0.5 * 0x1p-9, 0.51 * 0x1p-9, 0x1p-6, 0x1p-14, 0x1p-126, 0, -0.0, 57344, 61440,
            65504, 65520, .greatestFiniteMagnitude, .leastNonzeroMagnitude,
        ]
        values += values.map { -$0 }
        var generator = SplitMix64(seed: 2026)
        for _ in 0..<500_000 {
            values.append(Float(bitPattern: UInt32(truncatingIfNeeded: generator.next())))
        }
        let centres: [Float] = [1, 448, 57344, 0x1p-9, 0x1p-16, 0x1p-24, 0x1p-133, 0.02]
        for k in 0..<500_000 {
            let u = Float(generator.next() >> 40) / Float(1 << 24)
            let sign: Float = generator.next() & 1 == 0 ? 1 : -1
            values.append(sign * centres[k % centres.count] * (0.25 + 3 * u))
        }
        return values
    }

    private static func words(_ data: Data) -> [UInt16] {
        stride(from: 0, to: data.count - 1, by: 2).map {
            UInt16(data[data.startIndex + $0]) | UInt16(data[data.startIndex + $0 + 1]) << 8
        }
    }
}
