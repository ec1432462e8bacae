import Foundation

/// The project's Python virtual environment, for interop tests that compare with NumPy,
/// ml_dtypes, h5py or safetensors. `tools/setup` creates it at `<repository>/.venv`.
public enum Python {
    /// A failure to run the interpreter, with what it printed.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong, with the script's standard error.
        public var description: String
    }

    /// `<repository>/.venv/bin/python`.
    public static var executable: URL {
        TestPaths.repository.appendingPathComponent(".venv/bin/python")
    }

    /// Runs `script` (Python source) with `arguments` in `sys.argv[1...]` and returns its
    /// standard output; throws with its standard error when it exits non-zero, and says how to
    /// create the venv when it is missing.
    public static func run(script: String, arguments: [String] = []) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw Failure(
                description: "no Python venv at \(executable.path); run tools/setup to create it")
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = ["-c", script] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()

        // Read both pipes before waiting so a chatty script cannot block on a full pipe.
        nonisolated(unsafe) var errorData = Data()
        let errorReader = Thread { errorData = errors.fileHandleForReading.readDataToEndOfFile() }
        errorReader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorReader.isFinished { usleep(1000) }

        let text = String(decoding: outputData, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errorData, as: UTF8.self)
            throw Failure(
                description: "python exited with \(process.terminationStatus): \(message)")
        }
        return text
    }

    /// A fresh temporary folder for files exchanged with a script; the caller removes it.
    public static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("blockcast-python-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
