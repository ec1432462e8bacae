import BlockcastContainers
import BlockcastFormats
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Read and write throughput of the checkpoint containers on a 1 GiB float32 checkpoint.
///
/// Figures are GB/s of tensor data. "read" means: open the checkpoint, then for every tensor
/// get its bytes and sum them as 64-bit words (so mapped data is really touched); the same
/// definition is used by the Python baselines (tools/baselines/containers.py: h5py and
/// safetensors), which run at the end on the same files while they are in the page cache.
/// "raw read" is `read(2)` of the safetensors file into an 8 MiB buffer: the bandwidth any
/// reader of that file is bounded by. Files live in the page cache (warm), so these are
/// memory-system figures, not disk figures.
enum ContainersBench {
    /// Tensors in the checkpoint; each is 4096 × 1024 float32 (16 MiB).
    static let tensorCount = 64
    static let shape = [4096, 1024]
    static let zstdLevel = 3

    static func run() {
        let bytes = tensorCount * shape.reduce(4, *)
        print(
            "# containers: \(tensorCount) float32 tensors \(shape), \(bytes >> 20) MiB; warm cache")
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("blockcast-bench-containers-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let tensors = (0..<tensorCount).map { makeTensor(seed: UInt64($0)) }
        let plan = tensors.indices.map { TensorSpec(name: name($0), tensors[$0]) }
        Bench.measure(name: "checksum xxh64 (manifest)", bytes: bytes, repetitions: 3) {
            sink = tensors.reduce(0) { $0 ^ XXHash64.hash($1) }
        }
        let variants: [(label: String, folder: String, options: CheckpointWriter.Options)] = [
            ("safetensors", "st", .init(format: .safetensors)),
            ("hdf5", "h5", .init(format: .hdf5)),
            ("hdf5 zstd=\(zstdLevel)", "h5z", .init(format: .hdf5, compressionLevel: zstdLevel)),
        ]
        var results: [String: Double] = [:]
        for variant in variants {
            let folder = directory + "/" + variant.folder
            results["write " + variant.label] = Bench.measure(
                name: "write \(variant.label)", bytes: bytes, repetitions: 3
            ) {
                write(tensors, plan, to: folder, variant.options)
            }
        }
        for variant in variants {
            let folder = directory + "/" + variant.folder
            results["read " + variant.label] = Bench.measure(
                name: "read \(variant.label)", bytes: bytes, repetitions: 5
            ) {
                sink = read(folder)
            }
        }
        let raw = Bench.measure(name: "raw read(2) of the safetensors file", bytes: bytes) {
            sink = rawRead(directory + "/st/model.safetensors")
        }
        Bench.report(
            name: "read safetensors / raw read", value: results["read safetensors"]! / raw * 100,
            unit: "%")
        baselines(directory, ours: results)
    }

    /// Keeps the summed words observable so the reads are not optimised away.
    nonisolated(unsafe) static var sink: UInt64 = 0

    static func name(_ index: Int) -> String { "model.layers.\(index).mlp.up_proj.weight" }

    /// Weight-like float32 values (the formats suite's bell with outliers), seeded per tensor.
    static func makeTensor(seed: UInt64) -> Tensor {
        Tensor(dtype: .float32, shape: shape) { buffer in
            let floats = buffer.bindMemory(to: Float.self)
            var state = 0x1234_5678 &+ seed &* 0x9E37_79B9
            for i in floats.indices {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let u = Float(state >> 40) / Float(1 << 24) - 0.5
                floats[i] = (i % 4099 == 0 ? 40 : 1) * u * u * u * 0.1
            }
        }
    }

    static func write(
        _ tensors: [Tensor], _ plan: [TensorSpec], to folder: String,
        _ options: CheckpointWriter.Options
    ) {
        do {
            let writer = try CheckpointWriter(directory: folder, plan: plan, options: options)
            for (index, tensor) in tensors.enumerated() { try writer.write(name(index), tensor) }
            try writer.finish()
        } catch {
            fatalError("bench write failed: \(error)")
        }
    }

    static func read(_ folder: String) -> UInt64 {
        do {
            let checkpoint = try Checkpoint.open(folder)
            var total: UInt64 = 0
            for info in checkpoint.tensors {
                total &+= try checkpoint.read(info.name).withUnsafeBytes(sumWords)
            }
            return total
        } catch {
            fatalError("bench read failed: \(error)")
        }
    }

    /// The wrapping sum of the buffer's 64-bit words (a tail under 8 bytes is ignored).
    static func sumWords(_ raw: UnsafeRawBufferPointer) -> UInt64 {
        guard let base = raw.baseAddress else { return 0 }
        let count = raw.count / 8
        var lanes = SIMD8<UInt64>()
        var i = 0
        while i + 8 <= count {
            lanes &+= (base + i * 8).loadUnaligned(as: SIMD8<UInt64>.self)
            i += 8
        }
        var total = lanes.wrappedSum()
        while i < count {
            total &+= (base + i * 8).loadUnaligned(as: UInt64.self)
            i += 1
        }
        return total
    }

    static func rawRead(_ path: String) -> UInt64 {
        let fd = open(path, O_RDONLY)
        precondition(fd >= 0, "cannot open \(path)")
        defer { close(fd) }
        let size = 8 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
        defer { buffer.deallocate() }
        var total: UInt64 = 0
        while true {
            let n = Glibc.read(fd, buffer, size)
            if n <= 0 { break }
            total &+= UInt64(n)
        }
        return total
    }

    /// Runs tools/baselines/containers.py on the same files, if the venv is there, and prints
    /// its lines and our ratios against it.
    static func baselines(_ directory: String, ours: [String: Double]) {
        guard let (python, script) = Bench.pythonBaseline("containers.py", suite: "containers")
        else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, directory]
        let pipe = Pipe()
        process.standardOutput = pipe
        do {
            try process.run()
        } catch {
            print("# containers: could not run \(script): \(error)")
            return
        }
        let output = String(
            decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        print(output, terminator: "")

        var theirs: [String: Double] = [:]
        for line in output.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 3, let value = Double(fields[fields.count - 2]) else { continue }
            theirs[fields.dropLast(2).joined(separator: " ")] = value
        }
        let pairs = [
            ("read hdf5", "h5py read hdf5"),
            ("read hdf5 zstd=\(zstdLevel)", "h5py read hdf5 zstd=\(zstdLevel)"),
            ("read safetensors", "safetensors read"),
        ]
        for (mine, other) in pairs {
            guard let a = ours[mine], let b = theirs[other] else { continue }
            Bench.report(name: "\(mine) ours/python", value: a / b, unit: "x")
        }
    }
}
