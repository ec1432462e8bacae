import BlockcastTestSupport
import Foundation
import Testing

/// A model weight that reads as integers is refused, not carried through unconverted.
@Suite struct QuantizeIntegerWeightTests {
    /// h5py writes a bfloat16 weight as plain uint16 when the `dtype` attribute is forgotten:
    /// quantize must name it, say why, exit 2 and write nothing; with the attribute the same
    /// file converts.
    @Test func anUntaggedBFloat16DatasetIsRefused() throws {
        let folder = try QuantizeFixture.scratch("untagged")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let script = """
            import sys, h5py, numpy as np
            bits = (np.full((256, 256), 0.5, np.float32).view(np.uint32) >> 16).astype(np.uint16)
            for path, tagged in ((sys.argv[1], False), (sys.argv[2], True)):
                with h5py.File(path, 'w') as f:
                    d = f.create_dataset('model/layers/0/mlp/up_proj/weight', data=bits)
                    if tagged:
                        d.attrs['dtype'] = 'bfloat16'
            """
        let untagged = folder + "/untagged.h5"
        let tagged = folder + "/tagged.h5"
        _ = try Python.run(script: script, arguments: [untagged, tagged])

        let run = try BinaryRun.blockcast(["quantize", untagged, folder + "/out"])
        #expect(run.status == 2, "\(run)")
        #expect(
            run.stderr.contains("Tensor 'model.layers.0.mlp.up_proj.weight' in untagged.h5 is U16"),
            "\(run.stderr)")
        #expect(run.stderr.contains("'dtype' attribute"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/out"))

        let converted = try BinaryRun.blockcast(["quantize", tagged, folder + "/ok", "--quiet"])
        #expect(converted.status == 0, "\(converted)")
    }
}
