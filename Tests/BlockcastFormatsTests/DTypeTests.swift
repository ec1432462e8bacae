import BlockcastFormats
import Testing

@Suite struct DTypeTests {
    @Test func byteWidthsMatchTheFormats() {
        #expect(DType.float32.byteWidth == 4)
        #expect(DType.bfloat16.byteWidth == 2)
        #expect(DType.float8E4M3FN.byteWidth == 1)
        #expect(DType.int64.byteWidth == 8)
    }

    @Test(arguments: DType.allCases)
    func namesRoundTrip(dtype: DType) {
        #expect(DType(name: dtype.rawValue) == dtype)
        #expect(DType(name: dtype.hdf5AttributeName) == dtype)
    }

    @Test func unknownNamesAreRejected() {
        #expect(DType(name: "F4") == nil)
    }
}
