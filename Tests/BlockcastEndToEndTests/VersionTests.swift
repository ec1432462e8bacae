import BlockcastContainers
import BlockcastTestSupport
import Testing

@Suite struct VersionTests {
    @Test func printsTheVersionAndEveryLinkedLibrary() throws {
        let run = try BinaryRun.blockcast(["--version"])
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr == "")
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 5, "\(run)")
        guard lines.count == 5 else { return }
        #expect(lines[0].wholeMatch(of: /blockcast \d+\.\d+\.\d+/) != nil, "\(lines[0])")
        #expect(lines[1] == "HDF5 \(ContainerLibraries.hdf5Version)")
        #expect(lines[2] == "Zstandard \(ContainerLibraries.zstdVersion)")
        #expect(lines[3].hasPrefix("OpenBLAS "))
        #expect(lines[4] == "")
    }
}
