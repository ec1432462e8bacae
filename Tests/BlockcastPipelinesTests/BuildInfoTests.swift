import BlockcastPipelines
import Testing

@Suite struct BuildInfoTests {
    @Test func namesEveryLinkedLibrary() {
        let lines = BuildInfo.libraryLines
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("HDF5 1."))
        #expect(lines[1].hasPrefix("Zstandard 1."))
        #expect(lines[2].hasPrefix("OpenBLAS"))
    }
}
