import BlockcastContainers
import BlockcastFormats
import BlockcastTestSupport
import Foundation
import Testing

@Suite struct SafetensorsTests {
    @Test func everyDTypeRoundTripsBitForBit() throws {
        let directory = try ContainerFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("all.safetensors").path
        let tensors = ContainerFixtures.everyDType()
        try SafetensorsWriter.write(tensors, to: path, metadata: ["format": "pt"])

        let checkpoint = try Checkpoint.open(path)
        #expect(checkpoint.format == .safetensors)
        #expect(checkpoint.metadata == ["format": "pt"])
        #expect(checkpoint.tensors.count == tensors.count)
        for (name, tensor) in tensors {
            let info = try #require(checkpoint.info(name))
            #expect(info.dtype == tensor.dtype && info.shape == tensor.shape)
            #expect(info.file == "all.safetensors")
            #expect(try checkpoint.read(name) == tensor, "\(name)")
        }
    }

    @Test func dataIsAlignedToEachElementWidth() throws {
        let header = SafetensorsHeader.self
        let directory = try ContainerFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("a.safetensors").path
        try SafetensorsWriter.write(ContainerFixtures.everyDType(), to: path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let parsed = try bytes.withUnsafeBytes { try header.parse($0, file: "a") }
        #expect(parsed.dataStart % 8 == 0)
        for entry in parsed.entries {
            #expect(entry.range.lowerBound % entry.dtype.byteWidth == 0, "\(entry.name)")
        }
    }

    @Test func writerRefusesTensorsOutsideItsPlan() throws {
        let directory = try ContainerFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("p.safetensors").path
        let planned = Tensor(floats: [1, 2], shape: [2])
        let writer = try SafetensorsWriter(
            path: path, tensors: [TensorSpec(name: "a", planned)])
        #expect(throws: ContainerError.self) {
            try writer.write("a", Tensor(floats: [1, 2, 3], shape: [3]))
        }
        #expect(throws: ContainerError.self) { try writer.write("b", planned) }
        #expect(throws: ContainerError.self) { try writer.finish() }
        try writer.write("a", planned)
        #expect(!FileManager.default.fileExists(atPath: path), "renamed before finish")
        try writer.finish()
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory.path) == [
                "p.safetensors"
            ])
    }

    @Test func abandonedWriterLeavesNothing() throws {
        let directory = try ContainerFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("x.safetensors").path
        do {
            let writer = try SafetensorsWriter(
                path: path, tensors: [TensorSpec(name: "a", dtype: .float32, shape: [4])])
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).count == 1)
            _ = writer
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    /// Each hostile or broken header, with the exact message the user sees.
    static let badHeaders: [(name: String, bytes: [UInt8], message: String)] = [
        (
            "short", [1, 2, 3],
            "'f' is too short to be a safetensors file: 3 bytes, expected at least 8."
        ),
        (
            "length beyond file",
            withUnsafeBytes(of: UInt64(1000).littleEndian) { Array($0) } + Array("{}".utf8),
            "The safetensors header of 'f' claims 1000 bytes, but only 2 follow the length field."
        ),
        (
            "huge length",
            withUnsafeBytes(of: UInt64.max.littleEndian) { Array($0) } + Array("{}".utf8),
            "The safetensors header of 'f' claims 18446744073709551615 bytes, but only 2 follow "
                + "the length field."
        ),
        (
            "not JSON", ContainerFixtures.safetensors(header: "{\"a\":", data: []),
            "The safetensors header of 'f' is not valid JSON: unexpected end of text at byte 5."
        ),
        (
            "not an object", ContainerFixtures.safetensors(header: "[1]", data: []),
            "The safetensors header of 'f' is not a JSON object."
        ),
        (
            "unknown dtype",
            ContainerFixtures.safetensors(
                header: #"{"w":{"dtype":"F4","shape":[1],"data_offsets":[0,4]}}"#,
                data: [0, 0, 0, 0]),
            "Tensor 'w' in 'f' has unknown dtype 'F4'."
        ),
        (
            "range outside the file",
            ContainerFixtures.safetensors(
                header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#,
                data: [0, 0, 0, 0]),
            "Tensor 'w' in 'f' has data_offsets [0, 16] beyond the data area of 4 bytes."
        ),
        (
            "shape disagrees with bytes",
            ContainerFixtures.safetensors(
                header: #"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#,
                data: Array(repeating: 0, count: 20)),
            "Tensor 'w' in 'f' is F32 of shape [2, 3] (24 bytes), but its data_offsets [0, 20] "
                + "span 20 bytes."
        ),
        (
            "overlap",
            ContainerFixtures.safetensors(
                header: #"{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},"#
                    + #""b":{"dtype":"U8","shape":[8],"data_offsets":[4,12]}}"#,
                data: Array(repeating: 0, count: 12)),
            "Tensors 'a' and 'b' in 'f' overlap: [0, 8] and [4, 12]."
        ),
        (
            "duplicate name",
            ContainerFixtures.safetensors(
                header: #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"#
                    + #""a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#, data: [0, 0]),
            "Tensor 'a' appears twice in the header of 'f'."
        ),
        (
            "negative dimension",
            ContainerFixtures.safetensors(
                header: #"{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}"#, data: [0]),
            "Tensor 'a' in 'f' has an invalid shape."
        ),
        (
            "reversed offsets",
            ContainerFixtures.safetensors(
                header: #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,0]}}"#, data: [0]),
            "Tensor 'a' in 'f' has invalid data_offsets."
        ),
        (
            "overflowing shape",
            ContainerFixtures.safetensors(
                header: #"{"a":{"dtype":"F64","shape":[4294967296,4294967296],"#
                    + #""data_offsets":[0,1]}}"#, data: [0]),
            "Tensor 'a' in 'f' is F64 of shape [4294967296, 4294967296] (too many bytes), but its "
                + "data_offsets [0, 1] span 1 bytes."
        ),
        (
            "metadata not strings",
            ContainerFixtures.safetensors(header: #"{"__metadata__":{"k":1}}"#, data: []),
            "The __metadata__ of 'f' is not an object of strings ('k')."
        ),
    ]

    @Test(arguments: badHeaders.indices)
    func hostileHeadersAreRefusedWithAClearMessage(_ index: Int) {
        let (name, bytes, message) = SafetensorsTests.badHeaders[index]
        do {
            _ = try bytes.withUnsafeBytes { try SafetensorsHeader.parse($0, file: "f") }
            Issue.record("\(name): accepted")
        } catch {
            #expect("\(error)" == message, "\(name)")
        }
    }

    @Test func badFilesOnDiskNameTheFile() throws {
        let directory = try ContainerFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("bad.safetensors").path
        let bytes = ContainerFixtures.safetensors(
            header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: [0])
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: ContainerError.self) { try Checkpoint.open(path) }
        #expect(error.code == .corrupt)
        #expect(error.tensor == "w")
        #expect(
            error.description
                == "Tensor 'w' in '\(path)' has data_offsets [0, 16] beyond the data area of 1 "
                + "bytes.")
    }

    @Test func emptyTensorsMayShareAnOffset() throws {
        let bytes = ContainerFixtures.safetensors(
            header: #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"#
                + #""b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        let header = try bytes.withUnsafeBytes { try SafetensorsHeader.parse($0, file: "f") }
        #expect(header.entries.map(\.name) == ["a", "b"])
    }
}
