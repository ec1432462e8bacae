import BlockcastContainers
import Testing

@Suite struct LinkedLibrariesTests {
    @Test func reportsTheLinkedVersions() {
        // Debian 12 ships HDF5 1.10 and zstd 1.5; both must be what we linked, not headers only.
        #expect(ContainerLibraries.hdf5Version.hasPrefix("1."))
        #expect(ContainerLibraries.zstdVersion.hasPrefix("1."))
    }
}
