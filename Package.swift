// swift-tools-version:6.0
import PackageDescription

// AVX2/FMA/F16C: the build machines and CI are x86-64-v3 or better, and the bulk codecs
// reach memory bandwidth only with these instructions (see the design notes on SIMD).
let simd: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v3"])]

let package = Package(
    name: "blockcast",
    products: [
        .executable(name: "blockcast", targets: ["blockcast"]),
        .library(name: "BlockcastPipelines", targets: ["BlockcastPipelines"]),
    ],
    targets: [
        // C libraries from Debian, found through pkg-config.
        .systemLibrary(
            name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(
            name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        // numbers → containers → model → pipelines → CLI
        .target(name: "BlockcastFormats", swiftSettings: simd),
        .target(
            name: "BlockcastContainers",
            dependencies: ["BlockcastFormats", "CHDF5", "CZstd"],
            swiftSettings: simd),
        .target(
            name: "BlockcastModel",
            dependencies: ["BlockcastFormats", "BlockcastContainers", "CBLAS"],
            swiftSettings: simd),
        .target(
            name: "BlockcastPipelines",
            dependencies: ["BlockcastFormats", "BlockcastContainers", "BlockcastModel"],
            swiftSettings: simd),
        .target(name: "BlockcastArguments"),
        .executableTarget(
            name: "blockcast",
            dependencies: ["BlockcastArguments", "BlockcastPipelines"],
            swiftSettings: simd),
        .executableTarget(
            name: "blockcast-bench",
            dependencies: ["BlockcastPipelines"],
            swiftSettings: simd),

        .target(
            name: "BlockcastTestSupport",
            dependencies: ["BlockcastFormats", "BlockcastContainers"],
            path: "Tests/BlockcastTestSupport"),
        .testTarget(
            name: "BlockcastFormatsTests",
            dependencies: ["BlockcastFormats", "BlockcastTestSupport"],
            swiftSettings: simd),
        .testTarget(
            name: "BlockcastContainersTests",
            dependencies: ["BlockcastContainers", "BlockcastTestSupport"]),
        .testTarget(
            name: "BlockcastModelTests",
            dependencies: ["BlockcastModel", "BlockcastTestSupport"]),
        .testTarget(
            name: "BlockcastPipelinesTests",
            dependencies: ["BlockcastPipelines", "BlockcastTestSupport"]),
        .testTarget(
            name: "BlockcastArgumentsTests",
            dependencies: ["BlockcastArguments"]),
        .testTarget(
            name: "BlockcastEndToEndTests",
            dependencies: ["BlockcastTestSupport"]),
    ]
)
