import BlockcastContainers
import BlockcastFormats
import BlockcastTestSupport
import Testing

/// The shared golden model, written by h5py and by the safetensors package, read both ways.
@Suite struct GoldenCheckpointTests {
    let directory = TestPaths.golden.appendingPathComponent("tiny-a")

    @Test func hdf5AndSafetensorsAgreeBitForBit() throws {
        let hdf5 = try Checkpoint.open(directory.appendingPathComponent("model.h5").path)
        let safetensors = try Checkpoint.open(
            directory.appendingPathComponent("model.safetensors").path)
        #expect(hdf5.format == .hdf5)
        #expect(safetensors.format == .safetensors)
        #expect(hdf5.tensors.count == safetensors.tensors.count)
        #expect(hdf5.tensors.count > 20)
        #expect(hdf5.info("model.layers.0.self_attn.q_proj.weight")?.shape == [192, 256])

        for info in safetensors.tensors {
            let other = try #require(hdf5.info(info.name), "HDF5 lacks \(info.name)")
            #expect(other.dtype == info.dtype && other.shape == info.shape, "\(info.name)")
            let a = try safetensors.read(info.name)
            let b = try hdf5.read(info.name)
            #expect(a == b, "\(info.name) differs between the containers")
        }
    }

    @Test func configComesFromTheRootAttributeAndFromConfigJSON() throws {
        let hdf5 = try Checkpoint.open(directory.appendingPathComponent("model.h5").path)
        let safetensors = try Checkpoint.open(
            directory.appendingPathComponent("model.safetensors").path)
        #expect(hdf5.config?["hidden_size"]?.intValue == 256)
        #expect(hdf5.config?["rope_scaling"]?["type"]?.stringValue == "yarn")
        #expect(hdf5.config == safetensors.config)
    }

    @Test func fp8GoldenDecodesToFloats() throws {
        let checkpoint = try Checkpoint.open(
            directory.appendingPathComponent("expected-fp8.safetensors").path)
        let fp8 = try #require(checkpoint.tensors.first { $0.dtype == .float8E4M3FN })
        let values = try checkpoint.read(fp8.name).floats()
        #expect(values.count == fp8.elementCount)
        #expect(values.allSatisfy { $0.isFinite && abs($0) <= 448 })
    }
}
