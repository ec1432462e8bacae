import BlockcastTestSupport
import Foundation
import Testing

@Suite struct VersionTests {
    @Test func binaryPrintsItsVersion() throws {
        let binary = TestPaths.binary
        let process = Process()
        process.executableURL = binary
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(
            decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(output.hasPrefix("blockcast "))
    }
}
