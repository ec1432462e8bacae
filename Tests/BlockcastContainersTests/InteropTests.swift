import BlockcastContainers
import BlockcastFormats
import BlockcastTestSupport
import Foundation
import Testing

/// What the real Python packages (h5py with hdf5plugin, safetensors) make of our files, and
/// what we make of theirs. Every comparison is on the raw bytes.
@Suite struct InteropTests {
    /// The numpy dtype h5py reports for our dataset of `dtype`, and the `dtype` attribute.
    static func h5pyView(_ dtype: DType) -> (numpy: String, tag: String?) {
        switch dtype {
        case .float32, .float16, .float64, .int8, .uint8, .int16, .uint16, .int32, .uint32,
            .int64, .uint64:
            return (dtype.hdf5AttributeName, nil)
        case .bfloat16: return ("uint16", "bfloat16")
        case .float8E4M3FN, .float8E5M2, .float8E8M0, .bool:
            return ("uint8", dtype.hdf5AttributeName)
        }
    }

    static let readHDF5Script = """
        import sys, json, h5py, hdf5plugin, numpy as np
        out = {}
        with h5py.File(sys.argv[1], 'r') as f:
            config = f.attrs.get('config')
            def visit(name, obj):
                if isinstance(obj, h5py.Dataset):
                    plist = obj.id.get_create_plist()
                    filters = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
                    levels = [list(plist.get_filter(i)[2]) for i in range(plist.get_nfilters())]
                    tag = obj.attrs.get('dtype')
                    out[name] = {'dtype': str(obj.dtype), 'shape': list(obj.shape),
                                 'tag': tag, 'tag_is_str': isinstance(tag, str),
                                 'hex': np.asarray(obj[()]).tobytes().hex(),
                                 'filters': filters, 'levels': levels}
            f.visititems(visit)
        print(json.dumps({'config_is_str': isinstance(config, str), 'config': config,
                          'tensors': out}))
        """

    @Test(arguments: [nil, 5] as [Int?])
    func h5pyReadsEveryDTypeWeWrite(level: Int?) throws {
        let directory = try ContainerFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ours.h5").path
        let tensors = ContainerFixtures.everyDType(seed: 11)
        let config: JSONValue = ["hidden_size": 256, "rope_theta": 10000.0]
        let writer = try HDF5Writer(path: path, compressionLevel: level, config: config)
        for (name, tensor) in tensors { try writer.write(name, tensor) }
        try writer.finish()

        let output = try Python.run(script: InteropTests.readHDF5Script, arguments: [path])
        let report = try JSONValue.parse(output)
        #expect(report["config_is_str"] == true, "config must be a Python str")
        #expect(try JSONValue.parse(report["config"]?.stringValue ?? "") == config)
        let seen = try #require(report["tensors"]?.objectValue)
        #expect(seen.count == tensors.count)
        for (name, tensor) in tensors {
            let key = name.replacingOccurrences(of: ".", with: "/")
            let entry = try #require(seen[key], "h5py lacks \(key)")
            let (numpy, tag) = InteropTests.h5pyView(tensor.dtype)
            #expect(entry["dtype"]?.stringValue == numpy, "\(name)")
            #expect(entry["tag"]?.stringValue == tag, "\(name)")
            if tag != nil { #expect(entry["tag_is_str"] == true, "\(name)") }
            #expect(entry["shape"] == .array(tensor.shape.map { .integer($0) }), "\(name)")
            #expect(entry["hex"]?.stringValue == ContainerFixtures.hex(tensor.bytes), "\(name)")
            let chunked = tensor.elementCount > 0 && !tensor.shape.isEmpty
            let filters = entry["filters"]?.arrayValue ?? []
            if let level, chunked {
                #expect(filters == [32015], "\(name)")
                #expect(entry["levels"]?[0]?[0]?.intValue == level, "\(name)")
            } else {
                #expect(filters.isEmpty, "\(name)")
            }
        }
    }

    static let writeHDF5Script = """
        import sys, json, h5py, hdf5plugin, numpy as np, ml_dtypes
        rng = np.random.default_rng(7)
        expect = {}
        def put(f, name, arr, kind, tag=None, le=None, flat=False, **kw):
            d = f.create_dataset(name if flat else name.replace('.', '/'), data=arr, **kw)
            if tag is not None:
                d.attrs['dtype'] = tag
            raw = (le if le is not None else np.asarray(arr)).tobytes().hex()
            expect[name] = {'dtype': kind, 'shape': list(np.shape(arr)), 'hex': raw}
        f32 = rng.standard_normal((6, 10)).astype(np.float32) * 3
        with h5py.File(sys.argv[1], 'w') as f:
            f.attrs['config'] = json.dumps({'hidden_size': 10, 'name': 'from h5py'})
            put(f, 'model.f32', f32, 'F32')
            put(f, 'model.f16', f32.astype(np.float16), 'F16')
            put(f, 'model.f64', f32.astype(np.float64), 'F64')
            put(f, 'model.bf16', f32.astype(ml_dtypes.bfloat16).view(np.uint16), 'BF16',
                'bfloat16')
            put(f, 'model.e4m3', f32.astype(ml_dtypes.float8_e4m3fn).view(np.uint8), 'F8_E4M3',
                'float8_e4m3fn')
            put(f, 'model.e5m2', f32.astype(ml_dtypes.float8_e5m2).view(np.uint8), 'F8_E5M2',
                'float8_e5m2')
            put(f, 'model.e8m0', rng.integers(0, 255, 16, dtype=np.uint8), 'F8_E8M0', 'e8m0')
            for name, kind in [('int8', 'I8'), ('uint8', 'U8'), ('int16', 'I16'),
                               ('uint16', 'U16'), ('int32', 'I32'), ('uint32', 'U32'),
                               ('int64', 'I64'), ('uint64', 'U64')]:
                info = np.iinfo(name)
                put(f, 'ints.' + name, rng.integers(info.min, info.max, (3, 4), dtype=name), kind)
            put(f, 'model.big_endian', f32.astype('>f4'), 'F32', le=f32)
            put(f, 'model.bool', np.array([True, False, True]), 'BOOL')
            put(f, 'model.zstd', np.tile(f32, (40, 1)), 'F32', chunks=(16, 10),
                **hdf5plugin.Zstd(clevel=5))
            put(f, 'model.zstd_edge', np.tile(f32, (25, 1)), 'F32', chunks=(16, 10),
                **hdf5plugin.Zstd(clevel=3))
            put(f, 'model.zstd_columns', np.tile(f32, (4, 3)), 'F32', chunks=(8, 7),
                **hdf5plugin.Zstd(clevel=3))
            put(f, 'model.scalar', np.float32(2.5), 'F32')
            put(f, 'flat.layers.0.weight', f32[:2], 'F32', flat=True)
        print(json.dumps(expect))
        """

    @Test func weReadWhatH5pyWrites() throws {
        let directory = try ContainerFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("theirs.h5").path
        let expected = try JSONValue.parse(
            Python.run(script: InteropTests.writeHDF5Script, arguments: [path]))

        let checkpoint = try Checkpoint.open(path)
        #expect(checkpoint.config?["name"]?.stringValue == "from h5py")
        let table = try #require(expected.objectValue)
        #expect(Set(checkpoint.tensors.map(\.name)) == Set(table.keys))
        for (name, want) in table {
            let info = try #require(checkpoint.info(name), "\(name) missing")
            #expect(info.dtype.rawValue == want["dtype"]?.stringValue, "\(name)")
            #expect(.array(info.shape.map { .integer($0) }) == want["shape"], "\(name)")
            let tensor = try checkpoint.read(name)
            #expect(ContainerFixtures.hex(tensor.bytes) == want["hex"]?.stringValue, "\(name)")
        }
    }

    static let readSafetensorsScript = """
        import sys, json, numpy as np
        from safetensors import deserialize, safe_open
        from safetensors.numpy import load_file
        data = open(sys.argv[1], 'rb').read()
        out = {name: {'dtype': v['dtype'], 'shape': list(v['shape']), 'hex': bytes(v['data']).hex()}
               for name, v in deserialize(data)}
        with safe_open(sys.argv[1], framework='numpy') as f:
            metadata = f.metadata()
        numeric = {k: v.tobytes().hex() for k, v in load_file(sys.argv[2]).items()}
        print(json.dumps({'tensors': out, 'metadata': metadata, 'numpy': numeric}))
        """

    @Test func safetensorsLoadsEveryDTypeWeWrite() throws {
        let directory = try ContainerFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let all = directory.appendingPathComponent("all.safetensors").path
        let numeric = directory.appendingPathComponent("numpy.safetensors").path
        let tensors = ContainerFixtures.everyDType(seed: 5)
        try SafetensorsWriter.write(tensors, to: all, metadata: ["format": "pt", "by": "us"])
        let numpyKinds: Set<DType> = [
            .float32, .float16, .float64, .int8, .uint8, .int16, .uint16, .int32, .uint32, .int64,
            .uint64, .bool,
        ]
        let numpyTensors = tensors.filter { numpyKinds.contains($0.tensor.dtype) }
        try SafetensorsWriter.write(numpyTensors, to: numeric)

        let report = try JSONValue.parse(
            Python.run(script: InteropTests.readSafetensorsScript, arguments: [all, numeric]))
        #expect(report["metadata"] == ["format": "pt", "by": "us"])
        for (name, tensor) in tensors {
            let entry = try #require(report["tensors"]?[name], "safetensors lacks \(name)")
            #expect(entry["dtype"]?.stringValue == tensor.dtype.rawValue, "\(name)")
            #expect(entry["shape"] == .array(tensor.shape.map { .integer($0) }), "\(name)")
            #expect(entry["hex"]?.stringValue == ContainerFixtures.hex(tensor.bytes), "\(name)")
        }
        for (name, tensor) in numpyTensors {
            #expect(
                report["numpy"]?[name]?.stringValue == ContainerFixtures.hex(tensor.bytes),
                "\(name)")
        }
    }

    static let writeSafetensorsScript = """
        import sys, json, numpy as np, ml_dtypes
        from safetensors import TensorSpec, serialize_file
        from safetensors.numpy import save_file
        rng = np.random.default_rng(3)
        kinds = {'bfloat16': 'BF16', 'float8_e4m3fn': 'F8_E4M3', 'float8_e5m2': 'F8_E5M2',
                 'float8_e8m0fnu': 'F8_E8M0', 'float32': 'F32', 'float16': 'F16',
                 'int32': 'I32', 'uint8': 'U8', 'bool': 'BOOL'}
        keep, specs, expect = [], {}, {}
        for i, (name, kind) in enumerate(kinds.items()):
            width = {'F32': 4, 'I32': 4, 'BF16': 2, 'F16': 2}.get(kind, 1)
            shape = [3, 2 + i]
            raw = rng.integers(0, 256, int(np.prod(shape)) * width, dtype=np.uint8)
            if kind == 'BOOL':
                raw = raw & 1
            keep.append(raw)
            key = 'model.t%d.%s' % (i, name)
            specs[key] = TensorSpec(dtype=name, shape=shape, data_ptr=raw.ctypes.data,
                                    data_len=raw.nbytes)
            expect[key] = {'dtype': kind, 'shape': shape, 'hex': raw.tobytes().hex()}
        serialize_file(specs, sys.argv[1], metadata={'format': 'pt'})
        a = rng.standard_normal((5, 7)).astype(np.float32)
        save_file({'x.weight': a, 'x.bias': a[0].astype(np.float16)}, sys.argv[2])
        expect2 = {'x.weight': a.tobytes().hex(), 'x.bias': a[0].astype(np.float16).tobytes().hex()}
        print(json.dumps({'raw': expect, 'numpy': expect2}))
        """

    @Test func weReadWhatSafetensorsWrites() throws {
        let directory = try ContainerFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let raw = directory.appendingPathComponent("raw.safetensors").path
        let numeric = directory.appendingPathComponent("np.safetensors").path
        let expected = try JSONValue.parse(
            Python.run(script: InteropTests.writeSafetensorsScript, arguments: [raw, numeric]))

        let checkpoint = try Checkpoint.open(raw)
        #expect(checkpoint.metadata == ["format": "pt"])
        let table = try #require(expected["raw"]?.objectValue)
        #expect(checkpoint.tensors.count == table.count)
        for (name, want) in table {
            let info = try #require(checkpoint.info(name), "\(name) missing")
            #expect(info.dtype.rawValue == want["dtype"]?.stringValue, "\(name)")
            #expect(.array(info.shape.map { .integer($0) }) == want["shape"], "\(name)")
            let bytes = try checkpoint.read(name).bytes
            #expect(ContainerFixtures.hex(bytes) == want["hex"]?.stringValue, "\(name)")
        }
        let second = try Checkpoint.open(numeric)
        for (name, hex) in try #require(expected["numpy"]?.objectValue) {
            #expect(ContainerFixtures.hex(try second.read(name).bytes) == hex.stringValue)
        }
    }

    static let dumpHDF5Script = """
        import sys, h5py, hdf5plugin, numpy as np
        with h5py.File(sys.argv[1], 'r') as f:
            for i, name in enumerate(sys.argv[3:]):
                data = np.asarray(f[name.replace('.', '/')][()])
                open('%s/%d.raw' % (sys.argv[2], i), 'wb').write(data.tobytes())
        """

    @Test func h5pyReadsMultiChunkCompressedTensors() throws {
        let directory = try ContainerFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("chunks.h5").path
        // Several 4 MiB chunks each, the last one partial.
        let tensors = [
            ("model.a.weight", ContainerFixtures.tensor(.float32, shape: [2500, 1100], seed: 1)),
            ("model.b.weight", ContainerFixtures.tensor(.bfloat16, shape: [3000, 1500], seed: 2)),
        ]
        let writer = try HDF5Writer(path: path, compressionLevel: 2)
        for (name, tensor) in tensors { try writer.write(name, tensor) }
        try writer.finish()

        _ = try Python.run(
            script: InteropTests.dumpHDF5Script,
            arguments: [path, directory.path] + tensors.map(\.0))
        let checkpoint = try Checkpoint.open(path)
        for (i, (name, tensor)) in tensors.enumerated() {
            let dumped = try Data(contentsOf: directory.appendingPathComponent("\(i).raw"))
            #expect([UInt8](dumped) == tensor.bytes, "h5py's view of \(name)")
            #expect(try checkpoint.read(name) == tensor, "our view of \(name)")
        }
    }
}
