import BlockcastContainers
import BlockcastFormats

/// Somewhere ``ModelWeights`` can read named tensors from: a checkpoint on disk, one rank file,
/// or tensors built in memory.
public protocol WeightSource {
    /// The element type and shape of the tensor stored under `name`, or nil when absent.
    func tensorInfo(named name: String) -> (dtype: DType, shape: [Int])?
    /// The tensor stored under `name` (which ``tensorInfo(named:)`` reported).
    func readTensor(named name: String) throws -> Tensor
}

/// Tensors held in memory, keyed by name.
public struct InMemoryWeights: WeightSource, Sendable {
    /// The tensors.
    public var tensors: [String: Tensor]

    /// Wraps `tensors`.
    public init(_ tensors: [String: Tensor]) {
        self.tensors = tensors
    }

    /// Float32 tensors from plain arrays (`name → (shape, values)`).
    public init(floats: [String: (shape: [Int], values: [Float])]) {
        tensors = floats.mapValues { Tensor(floats: $0.values, shape: $0.shape) }
    }

    /// The element type and shape of `name`, if present.
    public func tensorInfo(named name: String) -> (dtype: DType, shape: [Int])? {
        tensors[name].map { ($0.dtype, $0.shape) }
    }

    /// The tensor `name`; throws ``ModelError/missingTensor(name:expectedShape:)`` when absent.
    public func readTensor(named name: String) throws -> Tensor {
        guard let tensor = tensors[name] else {
            throw ModelError.missingTensor(name: name, expectedShape: [])
        }
        return tensor
    }
}
