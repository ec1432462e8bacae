import Foundation

/// One finished run of an executable: its exit status and everything it printed.
///
/// ```swift
/// let run = try BinaryRun.blockcast(["inspect", path])
/// #expect(run.status == 0)
/// #expect(run.stderr == "")
/// ```
public struct BinaryRun: Sendable, CustomStringConvertible {
    /// The exit status (or the signal number plus 128 when killed by a signal).
    public let status: Int32

    /// Everything written to standard output, as UTF-8.
    public let stdout: String

    /// Everything written to standard error, as UTF-8.
    public let stderr: String

    /// Variables removed from the inherited environment so the binary behaves the same
    /// on a laptop, in CI, and inside a Slurm or MPI job: launcher ranks would split the
    /// work, and colour settings would change stderr.
    public static let isolatedVariables = [
        "SLURM_PROCID", "SLURM_NTASKS", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE",
        "PMI_RANK", "PMI_SIZE", "NO_COLOR", "BLOCKCAST_BINARY",
    ]

    /// Runs the built `blockcast` (``TestPaths/binary``) with `arguments`.
    ///
    /// - Parameters:
    ///   - arguments: The command line after the program name.
    ///   - environment: Variables set on top of the inherited environment, after
    ///     ``isolatedVariables`` are removed from it.
    ///   - currentDirectory: The working directory; the test's own when `nil`.
    /// - Throws: When the binary cannot be started.
    public static func blockcast(
        _ arguments: [String], environment: [String: String] = [:],
        currentDirectory: URL? = nil
    ) throws -> BinaryRun {
        try run(
            TestPaths.binary, arguments, environment: environment,
            currentDirectory: currentDirectory)
    }

    /// Runs `executable` with `arguments`, standard input empty, capturing both outputs
    /// through files (pipes could fill up and stall a chatty child).
    public static func run(
        _ executable: URL, _ arguments: [String], environment: [String: String] = [:],
        currentDirectory: URL? = nil
    ) throws -> BinaryRun {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("binary-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var inherited = ProcessInfo.processInfo.environment
        for name in isolatedVariables { inherited[name] = nil }
        process.environment = inherited.merging(environment) { _, new in new }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()

        let status =
            process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
        return BinaryRun(
            status: status,
            stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// The status and both outputs, for test failure messages.
    public var description: String {
        "exit status \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)---"
    }
}
