import BlockcastContainers
import BlockcastFormats
import BlockcastTestSupport
import Foundation
import Testing

@Suite struct TensorTests {
    @Test func countsElementsAndBytes() throws {
        let tensor = Tensor(dtype: .bfloat16, shape: [3, 4], bytes: Array(repeating: 0, count: 24))
        #expect(tensor.elementCount == 12)
        #expect(tensor.byteCount == 24)
        let scalar = Tensor(floats: [2.5], shape: [])
        #expect(scalar.elementCount == 1 && scalar.byteCount == 4)
        #expect(try scalar.floats() == [2.5])
    }

    /// Every code of each one- and two-byte float format decodes as the format's codec says.
    @Test(arguments: [DType.float8E4M3FN, .float8E5M2, .float8E8M0, .bfloat16, .float16])
    func floatsDecodeThroughTheFormatCodecs(dtype: DType) throws {
        let codes = dtype.byteWidth == 1 ? 256 : 65_536
        let bytes = (0..<codes).flatMap { code in
            dtype.byteWidth == 1 ? [UInt8(code)] : [UInt8(code & 0xFF), UInt8(code >> 8)]
        }
        let values = try Tensor(dtype: dtype, shape: [codes], bytes: bytes).floats()
        for code in 0..<codes {
            let expected: Float
            switch dtype {
            case .float8E4M3FN: expected = Float8E4M3FN.decode(UInt8(code))
            case .float8E5M2: expected = Float8E5M2.decode(UInt8(code))
            case .float8E8M0: expected = E8M0.decode(UInt8(code))
            case .bfloat16: expected = BFloat16.decode(UInt16(code))
            default: expected = Half.decode(UInt16(code))
            }
            let same =
                values[code].bitPattern == expected.bitPattern
                || (values[code].isNaN && expected.isNaN)
            if !same {
                Issue.record("\(dtype) code \(code): expected \(expected), got \(values[code])")
                return
            }
        }
    }

    @Test func floatsOfUnalignedMappedDataDecode() throws {
        // A safetensors file is free to place a BF16 tensor at an odd offset.
        let directory = try ContainerFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("odd.safetensors").path
        let values: [Float] = [1, -2, 0.5, 3]
        let bits = values.flatMap { value -> [UInt8] in
            let word = BFloat16.encode(value)
            return [UInt8(word & 0xFF), UInt8(word >> 8)]
        }
        let header =
            #"{"pad":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"#
            + #""w":{"dtype":"BF16","shape":[4],"data_offsets":[1,9]}}"#
        let file = ContainerFixtures.safetensors(header: header, data: [7] + bits)
        try Data(file).write(to: URL(fileURLWithPath: path))
        #expect(try Checkpoint.open(path).read("w").floats() == values)
    }

    @Test func integerTensorsHaveNoFloats() throws {
        let tensor = Tensor(dtype: .int32, shape: [1], bytes: [1, 0, 0, 0])
        let error = try #require(throws: ContainerError.self) { try tensor.floats() }
        #expect(error.code == .unsupportedType)
        #expect(
            error.message == "A I32 tensor has no float values; expected a floating-point dtype.")
    }

    @Test func tensorsCompareByDTypeShapeAndBytes() {
        let a = Tensor(floats: [1, 2, 3, 4], shape: [2, 2])
        #expect(a == Tensor(floats: [1, 2, 3, 4], shape: [2, 2]))
        #expect(a != Tensor(floats: [1, 2, 3, 4], shape: [4]))
        #expect(a != Tensor(floats: [1, 2, 3, 5], shape: [2, 2]))
        #expect(a != Tensor(dtype: .int32, shape: [2, 2], bytes: a.bytes))
    }
}
