import BlockcastContainers
import BlockcastFormats
import BlockcastTestSupport
import Foundation
import Testing

@Suite struct HDF5Tests {
    @Test(arguments: [nil, 3] as [Int?])
    func everyDTypeRoundTripsBitForBit(level: Int?) throws {
        let directory = try ContainerFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("all.h5").path
        let tensors = ContainerFixtures.everyDType()
        let config: JSONValue = ["hidden_size": 8, "name": "tiny", "eps": 1e-6]
        let writer = try HDF5Writer(path: path, compressionLevel: level, config: config)
        for (name, tensor) in tensors { try writer.write(name, tensor) }
        #expect(!FileManager.default.fileExists(atPath: path), "renamed before finish")
        try writer.finish()

        let checkpoint = try Checkpoint.open(path)
        #expect(checkpoint.format == .hdf5)
        #expect(checkpoint.config == config)
        #expect(checkpoint.tensors.count == tensors.count)
        for (name, tensor) in tensors {
            let info = try #require(checkpoint.info(name), "\(name) missing")
            #expect(info.dtype == tensor.dtype && info.shape == tensor.shape, "\(name)")
            #expect(try checkpoint.read(name) == tensor, "\(name)")
        }
    }

    @Test func compressionShrinksCompressibleData() throws {
        let directory = try ContainerFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tensor = Tensor(floats: (0..<(1 << 20)).map { Float($0 % 7) }, shape: [1024, 1024])
        var sizes: [Int] = []
        for level in [nil, 3] as [Int?] {
            let path = directory.appendingPathComponent("z\(level ?? 0).h5").path
            let writer = try HDF5Writer(path: path, compressionLevel: level)
            try writer.write("w", tensor)
            try writer.finish()
            #expect(try Checkpoint.open(path).read("w") == tensor)
            sizes.append(try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int)
        }
        #expect(sizes[1] * 20 < sizes[0], "sizes \(sizes)")
    }

    @Test func theSameTensorsGiveTheSameBytesLater() throws {
        let directory = try ContainerFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var files: [Data] = []
        for attempt in 0..<2 {
            // HDF5 timestamps have one-second resolution; a later second must not show.
            if attempt == 1 { usleep(1_100_000) }
            let path = directory.appendingPathComponent("d\(attempt).h5").path
            let writer = try HDF5Writer(path: path, compressionLevel: 1, config: ["a": 1])
            for (name, tensor) in ContainerFixtures.everyDType() { try writer.write(name, tensor) }
            try writer.finish()
            files.append(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        #expect(files[0] == files[1])
    }

    @Test func chunksHoldWholeRowsUpToTheTarget() {
        #expect(HDF5Writer.chunkShape([4096, 7168], width: 1) == [585, 7168])
        #expect(HDF5Writer.chunkShape([16, 16], width: 4) == [16, 16])
        #expect(HDF5Writer.chunkShape([2, 1 << 21], width: 4) == [1, 1 << 20])
        #expect(HDF5Writer.chunkShape([], width: 4) == nil)
        #expect(HDF5Writer.chunkShape([0, 4], width: 4) == nil)
    }

    @Test func namesThatCannotBeGroupsAreRefused() throws {
        let directory = try ContainerFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let writer = try HDF5Writer(path: directory.appendingPathComponent("n.h5").path)
        let tensor = Tensor(floats: [1], shape: [1])
        let error = try #require(throws: ContainerError.self) {
            try writer.write("a..b", tensor)
        }
        #expect(
            error.message
                == "Tensor name 'a..b' cannot be stored in HDF5: it has an empty component or a "
                + "'/'.")
        try writer.write("a.b", tensor)
        let clash = try #require(throws: ContainerError.self) { try writer.write("a.b.c", tensor) }
        #expect(clash.tensor == "a.b.c")
        #expect(clash.cause?.isEmpty == false, "HDF5's own reason is kept")
        writer.abandon()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }
}

/// Files that are not what they claim, each with the exact message.
@Suite final class HDF5BadInputTests {
    let directory: URL

    init() throws {
        directory = try ContainerFixtures.temporaryDirectory()
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    @Test func missingFile() throws {
        let error = try #require(throws: ContainerError.self) {
            try Checkpoint.open(path("none.h5"))
        }
        #expect(error.code == .fileNotFound)
        #expect(error.message == "Could not open '\(path("none.h5"))': No such file or directory.")
    }

    @Test func notHDF5() throws {
        try Data("hello, world".utf8).write(to: URL(fileURLWithPath: path("text.h5")))
        let error = try #require(throws: ContainerError.self) {
            try Checkpoint.open(path("text.h5"))
        }
        #expect(error.code == .notAContainer)
        #expect(error.message == "'\(path("text.h5"))' is not an HDF5 file (no HDF5 signature).")
    }

    @Test func truncatedHDF5() throws {
        let good = path("good.h5")
        let writer = try HDF5Writer(path: good)
        try writer.write("a.b", Tensor(floats: Array(repeating: 1, count: 4096), shape: [4096]))
        try writer.finish()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path("cut.h5")))

        let error = try #require(throws: ContainerError.self) {
            try Checkpoint.open(path("cut.h5"))
        }
        #expect(error.code == .corrupt)
        #expect(
            error.message
                == "Could not open HDF5 file '\(path("cut.h5"))': it is damaged or truncated.")
        #expect(error.description.contains("truncated file"), "\(error)")
    }

    static let oddFilesScript = """
        import sys, h5py, numpy as np
        d = sys.argv[1]
        with h5py.File(d + '/compound.h5', 'w') as f:
            f.create_dataset('model/w', data=np.zeros(3, dtype=[('a', 'i4'), ('b', 'f4')]))
        with h5py.File(d + '/unknown-tag.h5', 'w') as f:
            f.create_dataset('model/w', data=np.zeros(3, dtype=np.uint8)).attrs['dtype'] = 'float4'
        with h5py.File(d + '/wrong-width.h5', 'w') as f:
            f.create_dataset('model/w', data=np.zeros(3, dtype=np.uint8)).attrs['dtype'] = 'bfloat16'
        with h5py.File(d + '/float-tagged.h5', 'w') as f:
            f.create_dataset('model/w', data=np.zeros(3, dtype=np.float32)).attrs['dtype'] = 'bfloat16'
        with h5py.File(d + '/huge.h5', 'w') as f:
            f.create_dataset('model/w', shape=(1 << 28, 1 << 30), dtype=np.float32)
        with h5py.File(d + '/untagged.h5', 'w') as f:
            f.create_dataset('model/w', data=np.arange(3, dtype=np.uint16))
        """

    @Test func datasetsOfTypesWeCannotRepresent() throws {
        _ = try Python.run(script: HDF5BadInputTests.oddFilesScript, arguments: [directory.path])
        let cases: [(String, String)] = [
            (
                "compound.h5",
                "Dataset 'model.w' in '\(path("compound.h5"))' has an unsupported HDF5 type (class "
                    + "compound); expected a float, an integer, or an unsigned integer with a dtype "
                    + "attribute."
            ),
            (
                "unknown-tag.h5",
                "Dataset 'model.w' in '\(path("unknown-tag.h5"))' has dtype attribute 'float4', "
                    + "which is not a known type."
            ),
            (
                "wrong-width.h5",
                "Dataset 'model.w' in '\(path("wrong-width.h5"))' is stored as uint8 but its dtype "
                    + "attribute says 'bfloat16'."
            ),
            (
                "float-tagged.h5",
                "Dataset 'model.w' in '\(path("float-tagged.h5"))' is stored as float32 but its "
                    + "dtype attribute says 'bfloat16'."
            ),
        ]
        for (file, message) in cases {
            let error = try #require(throws: ContainerError.self) {
                try Checkpoint.open(path(file))
            }
            #expect(error.code == .unsupportedType, "\(file)")
            #expect(error.tensor == "model.w", "\(file)")
            #expect(error.description == message, "\(file)")
        }

        // A shape no memory can hold (declared, never written) is refused, not a crash.
        let huge = try Checkpoint.open(path("huge.h5"))
        #expect(huge.info("model.w")?.shape == [1 << 28, 1 << 30])
        let tooBig = try #require(throws: ContainerError.self) { try huge.read("model.w") }
        #expect(
            tooBig.message
                == "Tensor 'model.w' in '\(path("huge.h5"))' claims shape [268435456, "
                + "1073741824], more memory than can be allocated.")

        // A uint16 dataset without the attribute is integer data, not bfloat16.
        let untagged = try Checkpoint.open(path("untagged.h5"))
        #expect(untagged.info("model.w")?.dtype == .uint16)
        #expect(try untagged.read("model.w").bytes == [0, 0, 1, 0, 2, 0])
    }
}
