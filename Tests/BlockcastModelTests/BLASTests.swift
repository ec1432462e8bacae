import BlockcastModel
import Testing

@Suite struct BLASTests {
    @Test func describesTheLinkedOpenBLAS() {
        #expect(BLAS.description.contains("OpenBLAS"))
    }
}
