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
    /// The `blockcast` executable built beside the test bundle.
    public static var binary: URL {
        // Test bundles live in the same products folder as the executables they test.
        let products = Bundle.allBundles
            .map { $0.bundleURL.deletingLastPathComponent() }
            .first {
                FileManager.default.fileExists(atPath: $0.appendingPathComponent("blockcast").path)
            }
        if let products { return products.appendingPathComponent("blockcast") }
        return repository.appendingPathComponent(".build/debug/blockcast")
    }
}
