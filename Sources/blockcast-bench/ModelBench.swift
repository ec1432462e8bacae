import BlockcastContainers
import BlockcastFormats
import BlockcastModel
import Foundation

/// Forward-pass throughput (tokens per second) of the fp32 and fp8-gemm paths.
///
/// The model is the checkpoint named by `BLOCKCAST_BENCH_MODEL` (a file or folder with its
/// config, e.g. the synthetic `small` model), or else a seeded in-memory model of about
/// 70M parameters. Every path runs 4 sequences of 128 tokens in the absorbed attention order;
/// FP8 weights come from the checkpoint when it has them, else from quantizing in memory.
enum ModelBench {
    static let sequences = 4
    static let length = 128

    static func run() {
        print("# model: \(BLAS.description); threads \(Parallelism.threadCount)")
        let source: any WeightSource
        let config: ModelConfig
        do {
            (source, config) = try model()
        } catch {
            print("model: \(error)")
            return
        }
        let tokenCount = sequences * min(length, config.maxSeqLen)
        print("# model: \(config.parameterCount) parameters, \(tokenCount) tokens per pass")

        var generator: UInt64 = 12_345
        let tokens = (0..<sequences).map { _ in
            (0..<min(length, config.maxSeqLen)).map { _ in
                generator = generator &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Int(generator >> 33) % config.vocabSize
            }
        }

        for path in [ComputePath.fp32, .fp8Gemm] {
            do {
                let start = DispatchTime.now().uptimeNanoseconds
                let weights = try ModelWeights.load(
                    from: source, config: config, path: path, quantizeInMemory: true)
                let model = try Transformer(weights: weights)
                let loading = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                Bench.report(name: "model load \(path)", value: loading, unit: "s")

                let seconds = Bench.medianSeconds(repetitions: 3) {
                    _ = try? model.forward(tokens: tokens, keepHiddenStates: false)
                }
                Bench.report(
                    name: "model forward \(path)", value: Double(tokenCount) / seconds,
                    unit: "tokens/s")
            } catch {
                print("model \(path): \(error)")
            }
        }
    }

    /// The checkpoint from `BLOCKCAST_BENCH_MODEL`, or a seeded in-memory model.
    private static func model() throws -> (any WeightSource, ModelConfig) {
        if let path = ProcessInfo.processInfo.environment["BLOCKCAST_BENCH_MODEL"] {
            let checkpoint = try Checkpoint.open(path)
            return (checkpoint, try ModelConfig(checkpoint: checkpoint))
        }

        var config = ModelConfig()
        config.vocabSize = 16_384
        config.dim = 1024
        config.interDim = 2816
        config.moeInterDim = 512
        config.layerCount = 4
        config.denseLayerCount = 1
        config.headCount = 8
        config.routedExpertCount = 8
        config.sharedExpertCount = 1
        config.activatedExpertCount = 2
        config.kvLoraRank = 256
        config.qkNopeHeadDim = 64
        config.qkRopeHeadDim = 32
        config.vHeadDim = 64
        try config.validate()

        var state: UInt64 = 1
        var tensors: [String: Tensor] = [:]
        for (name, shape) in config.expectedTensors() {
            let count = shape.reduce(1, *)
            let scale: Float = shape.count == 1 ? 0 : 1 / Float(shape[1]).squareRoot()
            let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                for i in 0..<count {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    let uniform = Float(state >> 40) / Float(1 << 23) - 1
                    buffer[i] = shape.count == 1 ? 1 : scale * uniform
                }
                initialized = count
            }
            tensors[name] = Tensor(floats: values, shape: shape)
        }
        return (InMemoryWeights(tensors), config)
    }
}
