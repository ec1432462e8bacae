import BlockcastContainers
import BlockcastFormats
import BlockcastPipelines
import BlockcastTestSupport
import Foundation
import Testing

/// Rank files load with the Python `safetensors` package unchanged.
@Suite struct ReshardInteropTests {
    @Test func pythonSafetensorsLoadsEveryRankFile() throws {
        let (input, _) = try ReshardTestSupport.fixture(.float32)
        let (output, _, _) = try ReshardTestSupport.reshard(input.path) { $0.worldSize = 2 }
        let script = """
            import sys, hashlib
            from safetensors.numpy import load_file
            for path in sys.argv[1:]:
                for name, array in sorted(load_file(path).items()):
                    digest = hashlib.sha256(array.tobytes()).hexdigest()
                    print(path.rsplit("/", 1)[1], name, list(array.shape), digest)
            """
        let files = ReshardTestSupport.rankFiles(2).map { output + "/" + $0 }
        let printed = try Python.run(script: script, arguments: files)
            .split(separator: "\n").map(String.init)

        var expected: [String] = []
        for file in files {
            let checkpoint = try Checkpoint.open(file)
            for info in checkpoint.tensors.sorted(by: { $0.name < $1.name }) {
                let bytes = try checkpoint.read(info.name).bytes
                expected.append(
                    "\((file as NSString).lastPathComponent) \(info.name) \(info.shape) "
                        + Self.sha256Hex(bytes))
            }
        }
        #expect(printed == expected)
    }

    /// SHA-256 through the system's `sha256sum`, so the test needs no crypto library.
    private static func sha256Hex(_ bytes: [UInt8]) -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("reshard-interop-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: url.path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(at: url) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [url.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try? process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(64))
    }
}
