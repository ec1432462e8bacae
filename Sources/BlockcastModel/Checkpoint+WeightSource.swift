import BlockcastContainers
import BlockcastFormats
import Foundation

extension Checkpoint: WeightSource {
    /// The element type and shape of `name`, if the checkpoint holds it once.
    public func tensorInfo(named name: String) -> (dtype: DType, shape: [Int])? {
        info(name).map { ($0.dtype, $0.shape) }
    }

    /// Reads `name` (a ``ContainerError`` names the file and tensor on failure).
    public func readTensor(named name: String) throws -> Tensor {
        try read(name)
    }
}

extension ModelConfig {
    /// Builds and validates a config from a parsed JSON value (a checkpoint's `config`).
    public init(json value: JSONValue) throws {
        guard case .object = value, let dictionary = Self.foundationValue(value) as? [String: Any]
        else {
            throw ModelError.unreadableConfig(path: "<config>", reason: "not a JSON object")
        }
        try self.init(json: dictionary)
    }

    /// The config a checkpoint carries (HDF5 `config` attribute or `config.json`).
    public init(checkpoint: Checkpoint) throws {
        guard let config = checkpoint.config else {
            throw ModelError.unreadableConfig(
                path: checkpoint.root, reason: "the checkpoint has no config")
        }
        try self.init(json: config)
    }

    private static func foundationValue(_ value: JSONValue) -> Any {
        switch value {
        case .null: NSNull()
        case .bool(let flag): flag
        case .integer(let number): number
        case .number(let number): number
        case .string(let text): text
        case .array(let elements): elements.map(foundationValue)
        case .object(let members): members.mapValues(foundationValue)
        }
    }
}

extension ModelWeights {
    /// Loads the weights `config` implies from a checkpoint (Hugging Face names) or one rank
    /// file (inference names; give its `rank` and `worldSize`), prepared for `path`.
    public static func load(
        from checkpoint: Checkpoint, config: ModelConfig, path: ComputePath, rank: Int = 0,
        worldSize: Int = 1, quantizeInMemory: Bool = false
    ) throws -> ModelWeights {
        try load(
            from: checkpoint as any WeightSource, config: config, path: path, rank: rank,
            worldSize: worldSize, quantizeInMemory: quantizeInMemory)
    }

    /// Loads every rank of a set of rank files (`model{r}-mp{n}.safetensors`), in rank order.
    public static func loadRanks(
        from checkpoint: Checkpoint, config: ModelConfig, path: ComputePath
    ) throws -> [ModelWeights] {
        let ranks: [Checkpoint]
        do {
            ranks = try checkpoint.ranks()
        } catch {
            throw ModelError.unreadableTensor(name: checkpoint.root, reason: "\(error)")
        }
        guard !ranks.isEmpty else {
            return [try load(from: checkpoint, config: config, path: path)]
        }
        return try ranks.enumerated().map { rank, file in
            try load(from: file, config: config, path: path, rank: rank, worldSize: ranks.count)
        }
    }
}
