import Foundation

/// Locations tests need: the repository, the shared golden data, the built binary.
public enum TestPaths {
    /// The repository root (the folder holding Package.swift).
    public static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(
                atPath: url.appendingPathComponent("Package.swift").path)
            {
                return url
            }
        }
        fatalError("no Package.swift above \(#filePath)")
    }()

    /// `../shared/golden`, beside the checkout.
    public static var golden: URL {
        repository.deletingLastPathComponent().appendingPathComponent("shared/golden")
    }
}

extension TestPaths {
    /// The `blockcast` executable of the build under test.
    ///
    /// Looked up, in order: `$BLOCKCAST_BINARY`; the folder of the running test executable
    /// (SwiftPM puts test bundles in the same products folder as the executables, whatever
    /// the configuration or `--scratch-path`); the folders of the loaded bundles; then
    /// `.build/release` and `.build/debug` in the repository.
    public static var binary: URL {
        if let override = ProcessInfo.processInfo.environment["BLOCKCAST_BINARY"] {
            return URL(fileURLWithPath: override)
        }
        let runningExecutable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let candidates =
            [runningExecutable.deletingLastPathComponent()]
            + Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
            + [
                repository.appendingPathComponent(".build/release"),
                repository.appendingPathComponent(".build/debug"),
            ]
        let folder = candidates.first { folder in
            FileManager.default.isExecutableFile(
                atPath: folder.appendingPathComponent("blockcast").path)
        }
        return (folder ?? candidates[0]).appendingPathComponent("blockcast")
    }
}
