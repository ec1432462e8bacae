import BlockcastContainers
import BlockcastFormats
import BlockcastTestSupport
import Foundation
import Testing

@Suite final class CheckpointTests {
    let directory: URL

    init() throws {
        directory = try ContainerFixtures.temporaryDirectory()
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func files(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }

    /// Twelve float32 tensors of 4 KiB each.
    private let tensors: [(name: String, tensor: Tensor)] = (0..<12).map { i in
        (
            "model.layers.\(i).mlp.up_proj.weight",
            ContainerFixtures.tensor(.float32, shape: [32, 32], seed: UInt64(i))
        )
    }

    private func write(
        _ folder: String, _ options: CheckpointWriter.Options, reversed: Bool = false
    ) throws -> Manifest {
        let writer = try CheckpointWriter(
            directory: folder, plan: tensors.map { TensorSpec(name: $0.name, $0.tensor) },
            options: options)
        for (name, tensor) in reversed ? tensors.reversed() : tensors {
            try writer.write(name, tensor)
        }
        return try writer.finish()
    }

    @Test(arguments: ContainerFormat.allCases)
    func directoriesRoundTripWithConfigAndManifest(format: ContainerFormat) throws {
        let folder = path("out-\(format)")
        let config: JSONValue = ["hidden_size": 32, "model_type": "deepseek_v3"]
        let manifest = try write(folder, .init(format: format, config: config))
        let name = format == .hdf5 ? "model.h5" : "model.safetensors"
        #expect(try files(folder) == [Manifest.fileName, "config.json", name].sorted())
        #expect(manifest.entries.map(\.name) == tensors.map(\.name))

        let checkpoint = try Checkpoint.open(folder)
        #expect(checkpoint.format == format)
        #expect(checkpoint.config == config)
        #expect(checkpoint.files == [name])
        for (name, tensor) in tensors { #expect(try checkpoint.read(name) == tensor) }
        try checkpoint.check()
    }

    @Test func writeOrderDoesNotChangeTheBytes() throws {
        _ = try write(path("a"), .init(maximumFileBytes: 10_000))
        _ = try write(path("b"), .init(maximumFileBytes: 10_000), reversed: true)
        for file in try files(path("a")) {
            let a = FileManager.default.contents(atPath: path("a/" + file))
            let b = FileManager.default.contents(atPath: path("b/" + file))
            #expect(a != nil && a == b, "\(file)")
        }
    }

    @Test func largeCheckpointsSplitIntoIndexedFiles() throws {
        let folder = path("split")
        _ = try write(folder, .init(maximumFileBytes: 20_000))
        let names = (1...3).map { "model-0000\($0)-of-00003.safetensors" }
        #expect(
            try files(folder)
                == ([Manifest.fileName, "model.safetensors.index.json"] + names).sorted())
        let index = try JSONValue.parse(
            [UInt8](FileManager.default.contents(atPath: folder + "/model.safetensors.index.json")!)
        )
        #expect(index["weight_map"]?[tensors[0].name]?.stringValue == names[0])
        #expect(index["weight_map"]?[tensors[11].name]?.stringValue == names[2])
        #expect(index["metadata"]?["total_size"]?.intValue == 12 * 4096)

        // The index alone (no manifest) is enough to open the directory.
        try FileManager.default.removeItem(atPath: folder + "/" + Manifest.fileName)
        let checkpoint = try Checkpoint.open(folder)
        #expect(checkpoint.files == names)
        #expect(checkpoint.info(tensors[5].name)?.file == names[1])
        #expect(try checkpoint.read(tensors[5].name) == tensors[5].tensor)
    }

    @Test func indexesWithSixDigitCountsRead() throws {
        // Some releases number their files with six digits (model-00001-of-000163).
        let folder = path("six")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var map: [String: JSONValue] = [:]
        for (i, (name, tensor)) in tensors.prefix(2).enumerated() {
            let file = "model-0000\(i + 1)-of-000163.safetensors"
            try SafetensorsWriter.write([(name, tensor)], to: folder + "/" + file)
            map[name] = .string(file)
        }
        let index: JSONValue = ["metadata": [:], "weight_map": .object(map)]
        try Data(index.serialized().utf8).write(
            to: URL(fileURLWithPath: folder + "/model.safetensors.index.json"))
        let checkpoint = try Checkpoint.open(folder)
        #expect(
            checkpoint.files == [
                "model-00001-of-000163.safetensors",
                "model-00002-of-000163.safetensors",
            ])
        #expect(try checkpoint.read(tensors[1].name) == tensors[1].tensor)
    }

    @Test func anIndexNamingAMissingFileIsRefused() throws {
        let folder = path("broken-index")
        _ = try write(folder, .init(maximumFileBytes: 20_000))
        try FileManager.default.removeItem(atPath: folder + "/" + Manifest.fileName)
        try FileManager.default.removeItem(atPath: folder + "/model-00002-of-00003.safetensors")
        let error = try #require(throws: ContainerError.self) { try Checkpoint.open(folder) }
        #expect(error.code == .fileNotFound)
        #expect(
            error.description
                == "'model.safetensors.index.json' in '\(folder)' names "
                + "'model-00002-of-00003.safetensors', which does not exist.")
    }

    @Test func anIndexPlacingATensorInTheWrongFileIsRefused() throws {
        let folder = path("wrong-index")
        _ = try write(folder, .init(maximumFileBytes: 20_000))
        try FileManager.default.removeItem(atPath: folder + "/" + Manifest.fileName)
        let indexPath = folder + "/model.safetensors.index.json"
        var index = try JSONValue.parse([UInt8](FileManager.default.contents(atPath: indexPath)!))
        var map = index["weight_map"]!.objectValue!
        map[tensors[0].name] = "model-00003-of-00003.safetensors"
        index = ["weight_map": .object(map)]
        try Data(index.serialized().utf8).write(to: URL(fileURLWithPath: indexPath))
        let error = try #require(throws: ContainerError.self) { try Checkpoint.open(folder) }
        #expect(error.code == .missingTensor)
        #expect(error.tensor == tensors[0].name)
    }

    @Test func aDamagedTensorIsNamedByCheck() throws {
        let folder = path("damaged")
        _ = try write(folder, .init())
        let file = folder + "/model.safetensors"
        var bytes = [UInt8](FileManager.default.contents(atPath: file)!)
        bytes[bytes.count - 100] ^= 0x40  // inside the last tensor's data
        try Data(bytes).write(to: URL(fileURLWithPath: file))

        let checkpoint = try Checkpoint.open(folder)
        let problems = try checkpoint.checkAll()
        #expect(problems.count == 1)
        let error = try #require(throws: ContainerError.self) { try checkpoint.check() }
        let damaged = tensors[11].name
        let manifest = try Manifest.load(directory: folder)
        let recorded = manifest.entries.first { $0.name == damaged }!.checksum
        let found = XXHash64.hash(try checkpoint.read(damaged))
        #expect(error.code == .checksumMismatch)
        #expect(error.tensor == damaged)
        #expect(
            error.description
                == "Tensor '\(damaged)' in 'model.safetensors' is damaged: its xxh64 is "
                + "\(XXHash64.hex(found)), the manifest says \(XXHash64.hex(recorded)).")
    }

    @Test func rankFilesOpenAsOneCheckpointWithRanks() throws {
        let folder = path("ranks")
        let plan = (0..<2).flatMap { rank in
            [
                TensorSpec(
                    name: "embed.weight", dtype: .float32, shape: [2, 4],
                    file: "model\(rank)-mp2.safetensors"),
                TensorSpec(
                    name: "norm.weight", dtype: .float32, shape: [4],
                    file: "model\(rank)-mp2.safetensors"),
            ]
        }
        let writer = try CheckpointWriter(directory: folder, plan: plan)
        let halves = [
            Tensor(floats: Array(repeating: 0, count: 8), shape: [2, 4]),
            Tensor(floats: Array(repeating: 1, count: 8), shape: [2, 4]),
        ]
        let norm = Tensor(floats: [1, 2, 3, 4], shape: [4])
        for rank in 0..<2 {
            let file = "model\(rank)-mp2.safetensors"
            try writer.write("embed.weight", halves[rank], file: file)
            try writer.write("norm.weight", norm, file: file)
        }
        #expect(throws: ContainerError.self) { try writer.write("norm.weight", norm) }
        try writer.finish()
        #expect(!FileManager.default.fileExists(atPath: folder + "/model.safetensors.index.json"))

        // With and without the manifest, the rank set is recognised.
        for withManifest in [true, false] {
            if !withManifest {
                try FileManager.default.removeItem(atPath: folder + "/" + Manifest.fileName)
            }
            let checkpoint = try Checkpoint.open(folder)
            #expect(checkpoint.worldSize == 2)
            #expect(checkpoint.tensors.count == 4)
            #expect(checkpoint.info("embed.weight") == nil)
            let error = try #require(throws: ContainerError.self) {
                try checkpoint.read("embed.weight")
            }
            #expect(error.code == .duplicateTensor)
            let ranks = try checkpoint.ranks()
            #expect(ranks.count == 2)
            #expect(try ranks[1].read("embed.weight") == halves[1])
            let second = checkpoint.tensors.first {
                $0.name == "embed.weight" && $0.file == "model1-mp2.safetensors"
            }!
            #expect(try checkpoint.read(second) == halves[1])
        }
    }

    @Test func aDirectoryWithBothContainersNeedsAChoice() throws {
        let folder = path("mixed")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try SafetensorsWriter.write([tensors[0]], to: folder + "/a.safetensors")
        let h5 = try HDF5Writer(path: folder + "/b.h5")
        try h5.write(tensors[1].name, tensors[1].tensor)
        try h5.finish()
        let error = try #require(throws: ContainerError.self) { try Checkpoint.open(folder) }
        #expect(
            error.description
                == "The directory '\(folder)' holds both safetensors and HDF5 files and no index "
                + "or manifest; open one file instead.")
    }

    @Test func anUnfinishedWriterLeavesNoDataFileAndNoManifest() throws {
        let folder = path("unfinished")
        do {
            let writer = try CheckpointWriter(
                directory: folder, plan: tensors.map { TensorSpec(name: $0.name, $0.tensor) },
                options: .init(maximumFileBytes: 20_000))
            for (name, tensor) in tensors.prefix(7) { try writer.write(name, tensor) }
            // Dropped without finish(): an interruption.
        }
        // The first file was complete and stays; the second was half-written and is gone.
        #expect(try files(folder) == ["model-00001-of-00003.safetensors"])
    }

    @Test func iteratingKeepsAboutOneTensorResident() throws {
        // 16 tensors of 4 MiB each; reading and dropping them one by one must not keep them.
        let folder = path("big")
        let big = (0..<16).map { i in
            (
                "t\(i)",
                Tensor(dtype: .uint8, shape: [4 << 20]) { buffer in
                    buffer.initializeMemory(as: UInt8.self, repeating: UInt8(i + 1))
                }
            )
        }
        try SafetensorsWriter.write(big, to: folder + ".safetensors")
        let file = folder + ".safetensors"
        let checkpoint = try Checkpoint.open(file)
        var peak = 0
        var total = 0
        for info in checkpoint.tensors {
            let tensor = try checkpoint.read(info.name)
            total += tensor.withUnsafeBytes { raw in raw.reduce(0) { $0 &+ Int($1) } }
            withExtendedLifetime(tensor) {
                peak = max(peak, CheckpointTests.residentBytes(ofMapping: file))
            }
        }
        #expect(total == (1...16).reduce(0, +) * (4 << 20))
        #expect(peak > 0, "the mapping was not found in /proc/self/smaps")
        #expect(peak <= 9 << 20, "\(peak >> 20) MiB of a 64 MiB file stayed resident")
    }

    /// The resident bytes of this process's mappings of `path`, from /proc/self/smaps (other
    /// tests running at the same time do not disturb it).
    static func residentBytes(ofMapping path: String) -> Int {
        // /proc files report size 0, so read them as a stream.
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/smaps") else { return 0 }
        defer { try? handle.close() }
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        var inside = false
        var total = 0
        for line in text.split(separator: "\n") {
            if let first = line.first, first.isHexDigit, line.contains("-") {
                inside = line.hasSuffix(" " + path)
            } else if inside, line.hasPrefix("Rss:") {
                let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
                total += (kilobytes ?? 0) * 1024
            }
        }
        return total
    }
}
