import BlockcastContainers

extension ModelWeights {
    /// These (unsharded) weights split over `worldSize` in-process ranks, each holding only
    /// its slices as sharding.md lays them out: vocabulary rows of the embedding and head,
    /// output rows of column-parallel and input columns of row-parallel projections, whole
    /// routed experts, replicated everything else.
    ///
    /// - Throws: ``ModelError/invalidWorldSize(worldSize:reason:)`` when a dimension does not
    ///   divide, or when a block-scaled weight's slice would cut a 128-wide scale block.
    public func sharded(worldSize: Int) throws -> [ModelWeights] {
        guard self.worldSize == 1 else {
            throw ModelError.invalidWorldSize(
                worldSize: worldSize,
                reason: "the weights are already rank \(rank) of "
                    + "\(self.worldSize)")
        }
        try Self.checkWorldSize(config, worldSize)

        return try (0..<worldSize).map { rank in
            var rankLinears: [String: Linear] = [:]
            for (name, linear) in linears {
                switch Self.tensorName(name).placement {
                case .expert(let index):
                    let owner = ShardPlacement.rank(
                        ofExpert: index, expertCount: config.routedExpertCount,
                        worldSize: worldSize)
                    if owner == rank { rankLinears[name] = linear }
                case .replicated:
                    rankLinears[name] = linear
                case .split(let dimension):
                    let size = (dimension == 0 ? linear.rows : linear.columns) / worldSize
                    let range = (rank * size)..<((rank + 1) * size)
                    let slice =
                        dimension == 0
                        ? linear.slicingRows(range) : linear.slicingColumns(range)
                    guard let slice else {
                        throw ModelError.invalidWorldSize(
                            worldSize: worldSize,
                            reason: "the slice \(range) of '\(name)' along dim \(dimension) "
                                + "cuts a 128-wide scale block")
                    }
                    rankLinears[name] = slice
                }
            }

            var rankVectors = vectors
            if let embedding = vectors["model.embed_tokens.weight"] {
                let rows = config.vocabSize / worldSize
                let start = rank * rows * config.dim
                rankVectors["model.embed_tokens.weight"] = Array(
                    embedding[start..<(start + rows * config.dim)])
            }
            return ModelWeights(
                config: config, path: path, rank: rank, worldSize: worldSize,
                linears: rankLinears, vectors: rankVectors)
        }
    }
}
