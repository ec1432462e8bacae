import BlockcastFormats
import BlockcastTestSupport
import Foundation
import Testing

/// The golden FP8 tensors were made by PyTorch from the float32 golden model with the maths of
/// quantization.md; the kernel must reproduce every byte of the codes and every bit of the
/// scales.
@Suite struct BlockQuantizerGoldenTests {
    @Test func reproducesThePyTorchTensorsBitForBit() throws {
        let folder = TestPaths.golden.appendingPathComponent("tiny-a")
        let model = try TestSafetensors(
            contentsOf: folder.appendingPathComponent("model.safetensors"))
        let expected = try TestSafetensors(
            contentsOf: folder.appendingPathComponent("expected-fp8.safetensors"))
        let fp8Names = expected.entries.filter { $0.value.dtype == "F8_E4M3" }.keys.sorted()
        #expect(fp8Names.count > 0, "no F8_E4M3 tensors in expected-fp8.safetensors")

        for name in fp8Names {
            let entry = try #require(model.entries[name], "\(name) missing from model.safetensors")
            try #require(entry.shape.count == 2 && entry.dtype == "F32", "\(name): \(entry)")
            let weights = model.floats(name)
            let (matrix, _) = weights.withUnsafeBufferPointer {
                BlockQuantizer.quantize($0, rows: entry.shape[0], columns: entry.shape[1])
            }

            let expectedCodes = expected.bytes(name)
            let mismatch = zip(matrix.codes, expectedCodes).enumerated().first { $0.1.0 != $0.1.1 }?
                .0
            #expect(
                matrix.codes.count == expectedCodes.count && mismatch == nil,
                "\(name): first differing code at \(mismatch ?? -1) of \(expectedCodes.count)")

            let expectedScales = expected.floats(name + "_scale_inv")
            #expect(
                expected.entries[name + "_scale_inv"]?.shape == [
                    matrix.scaleRows, matrix.scaleColumns,
                ])
            #expect(
                matrix.scaleInverse.map(\.bitPattern) == expectedScales.map(\.bitPattern),
                "\(name)_scale_inv: expected \(expectedScales), observed \(matrix.scaleInverse)")
        }
    }
}
