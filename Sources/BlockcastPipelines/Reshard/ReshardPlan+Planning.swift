import BlockcastContainers
import BlockcastFormats
import BlockcastModel

extension ReshardPlan {
    /// Plans `input` for `options`, checking everything that can be checked without data.
    ///
    /// - Throws: ``ReshardError`` listing every affected tensor: unknown names, duplicate
    ///   output names, scales that do not fit their weight, dimensions or expert counts that
    ///   do not divide by the world size, and (without `requantizeMisaligned`) FP8 slices
    ///   that would cut 128-blocks.
    package static func make(
        input: ReshardInput, options: ReshardOptions
    ) throws(ReshardError) -> ReshardPlan {
        precondition(options.worldSize >= 1, "world size must be positive")
        let worldSize = options.worldSize
        let names = try resolveNames(input)

        // Which layers are multi-token-prediction layers: by the config, else by the layer
        // that first holds an MTP-only module (enorm, hnorm, eh_proj, shared_head.head).
        let layerCount =
            input.config?.layerCount
            ?? names.filter(\.isMultiTokenPredictionModule).compactMap(\.layer).min()
        var kept: [Int] = []
        var leftOut: [TensorInfo] = []
        var misplaced: [String] = []
        for (index, name) in names.enumerated() {
            let isMTP = layerCount.map { name.isMultiTokenPrediction(layerCount: $0) } ?? false
            if name.isMultiTokenPredictionModule && !isMTP {
                misplaced.append(
                    "'\(input.tensors[index].name)': '\(name.module)' belongs only to "
                        + "multi-token-prediction layers (index \(layerCount ?? 0) and up)")
            } else if isMTP && !options.keepMTP {
                leftOut.append(input.tensors[index])
            } else {
                kept.append(index)
            }
        }
        if !misplaced.isEmpty {
            throw ReshardError(
                .unknownTensor,
                "\(misplaced.count) tensor(s) of the input are not where the model puts them:",
                details: misplaced)
        }

        try checkDuplicates(kept, names, input, options.outputNames)
        let scales = try pairScales(kept, names, input)
        let expertCount = try checkExperts(kept, names, input, worldSize)
        let splitChecks = try checkSplits(kept, names, input, scales, worldSize)
        if !splitChecks.misalignments.isEmpty && !options.requantizeMisaligned {
            let list = splitChecks.misalignments
            throw ReshardError(
                .misaligned,
                "At world size \(worldSize), \(list.count) FP8 weight(s) would be split inside "
                    + "a 128-wide scale block; pass --requantize-misaligned to re-quantize "
                    + "each rank's slice in its own blocks, or use a world size that aligns "
                    + "them (\(cleanList(splitChecks.clean))):",
                details: list.map(\.summary))
        }

        if options.requantizeMisaligned {
            try checkRequantizable(splitChecks.misalignedIndices, input, scales)
        }

        let tensors = buildPieces(
            kept: kept, names: names, input: input, options: options, scales: scales,
            expertCount: expertCount, misaligned: Set(splitChecks.misalignedIndices))
        return ReshardPlan(
            worldSize: worldSize, tensors: tensors, leftOut: leftOut,
            misalignments: splitChecks.misalignments, expertCount: expertCount,
            layerCount: layerCount, cleanWorldSizes: splitChecks.clean)
    }

    private static func cleanList(_ sizes: [Int]) -> String {
        sizes.isEmpty
            ? "none up to \(largestWorldSizeConsidered)"
            : sizes.map(String.init)
                .joined(separator: ", ")
    }

    // MARK: - Checks

    private static func resolveNames(_ input: ReshardInput) throws(ReshardError) -> [TensorName] {
        var names: [TensorName] = []
        var unknown: [String] = []
        names.reserveCapacity(input.tensors.count)
        for info in input.tensors {
            do {
                names.append(try TensorName(info.name, style: input.style))
            } catch {
                unknown.append(error.message)
            }
        }
        guard unknown.isEmpty else {
            throw ReshardError(
                .unknownTensor,
                "\(unknown.count) tensor name(s) of the input are not in the sharding table; "
                    + "nothing was written:",
                details: unknown)
        }
        return names
    }

    private static func checkDuplicates(
        _ kept: [Int], _ names: [TensorName], _ input: ReshardInput, _ style: NamingStyle
    ) throws(ReshardError) {
        var seen: [String: Int] = [:]
        var duplicates: [String] = []
        for index in kept {
            let output = names[index].spelled(style)
            if let first = seen[output] {
                duplicates.append(
                    "'\(input.tensors[first].name)' and '\(input.tensors[index].name)' both "
                        + "become '\(output)'")
            } else {
                seen[output] = index
            }
        }
        guard duplicates.isEmpty else {
            throw ReshardError(
                .duplicateName, "Input tensors collide after renaming:", details: duplicates)
        }
    }

    /// Maps each weight index to its scale's index, after checking every scale's shape.
    private static func pairScales(
        _ kept: [Int], _ names: [TensorName], _ input: ReshardInput
    ) throws(ReshardError) -> [Int: Int] {
        var byName: [String: Int] = [:]
        for index in kept { byName[names[index].inference] = index }
        var pairs: [Int: Int] = [:]
        var problems: [String] = []
        for index in kept where names[index].isScale {
            let scale = input.tensors[index]
            guard let weightName = TensorName.weightName(forScale: names[index].inference),
                let weightIndex = byName[weightName]
            else {
                problems.append("scale '\(scale.name)' has no weight beside it")
                continue
            }
            let weight = input.tensors[weightIndex]
            guard weight.shape.count == 2 else {
                problems.append(
                    "scale '\(scale.name)' belongs to '\(weight.name)' of shape \(weight.shape), "
                        + "which is not 2-D")
                continue
            }
            let expected = weight.shape.map { ($0 + 127) / 128 }
            if scale.shape != expected {
                problems.append(
                    "scale '\(scale.name)' has shape \(scale.shape); weight '\(weight.name)' "
                        + "\(weight.shape) needs \(expected) (one per 128×128 block)")
            } else if ![.float32, .bfloat16, .float8E8M0].contains(scale.dtype) {
                problems.append(
                    "scale '\(scale.name)' is \(scale.dtype.rawValue); scales are F32, BF16 or "
                        + "F8_E8M0")
            } else {
                pairs[weightIndex] = index
            }
        }
        guard problems.isEmpty else {
            throw ReshardError(
                .badScale, "\(problems.count) scale tensor(s) do not fit their weight:",
                details: problems)
        }
        return pairs
    }

    /// The routed expert count, checked against the indices present and the world size.
    private static func checkExperts(
        _ kept: [Int], _ names: [TensorName], _ input: ReshardInput, _ worldSize: Int
    ) throws(ReshardError) -> Int? {
        let indices = kept.compactMap { names[$0].expert }
        guard let largest = indices.max() else { return nil }
        let count = input.config?.routedExpertCount ?? largest + 1
        if largest >= count {
            let index = kept.first { names[$0].expert == largest }!
            throw ReshardError(
                .unknownTensor,
                "Tensor '\(input.tensors[index].name)' is routed expert \(largest), but the "
                    + "config has \(count) routed experts.")
        }
        if count % worldSize != 0 {
            let working = (1...count).filter { count % $0 == 0 }.map(String.init)
            throw ReshardError(
                .indivisible,
                "The \(count) routed experts do not divide over world size \(worldSize); "
                    + "world sizes that divide them: \(working.joined(separator: ", ")).")
        }
        return count
    }

    private struct SplitChecks {
        var misalignments: [Misalignment] = []
        var misalignedIndices: [Int] = []
        var clean: [Int] = []
    }

    /// Checks that split dimensions divide and finds FP8 slices that cut blocks; also works
    /// out which world sizes would plan cleanly.
    private static func checkSplits(
        _ kept: [Int], _ names: [TensorName], _ input: ReshardInput, _ scales: [Int: Int],
        _ worldSize: Int
    ) throws(ReshardError) -> SplitChecks {
        var checks = SplitChecks()
        var problems: [String] = []
        // (size, whether block alignment matters): the constraints on other world sizes.
        var constraints: Set<[Int]> = []
        for index in kept {
            guard case .split(let dimension) = names[index].placement, !names[index].isScale
            else { continue }
            let info = input.tensors[index]
            guard dimension < info.shape.count else {
                problems.append(
                    "'\(info.name)' \(info.shape) has no dimension \(dimension) to split")
                continue
            }
            let size = info.shape[dimension]
            let blocked = scales[index] != nil
            constraints.insert([size, blocked ? 1 : 0])
            if size % worldSize != 0 {
                problems.append(
                    "'\(info.name)' \(info.shape): dimension \(dimension) (\(size)) does not "
                        + "divide by \(worldSize)")
                continue
            }
            let slice = size / worldSize
            if blocked && worldSize > 1 && slice % 128 != 0 {
                // World size 1 never splits, so it is always aligned.
                let aligned = (1...min(size, largestWorldSizeConsidered)).filter {
                    $0 == 1 || (size % $0 == 0 && (size / $0) % 128 == 0)
                }
                checks.misalignments.append(
                    Misalignment(
                        tensor: info.name, shape: info.shape, dimension: dimension,
                        sliceSize: slice, alignedWorldSizes: aligned))
                checks.misalignedIndices.append(index)
            }
        }

        let expertCount = kept.compactMap { names[$0].expert }.max().map { $0 + 1 }
        let expertTotal = input.config?.routedExpertCount ?? expertCount
        checks.clean = (1...largestWorldSizeConsidered).filter { n in
            if let expertTotal, expertCount != nil, expertTotal % n != 0 { return false }
            return constraints.allSatisfy { constraint in
                let size = constraint[0]
                guard size % n == 0 else { return false }
                return constraint[1] == 0 || n == 1 || (size / n) % 128 == 0
            }
        }
        guard problems.isEmpty else {
            throw ReshardError(
                .indivisible,
                "\(problems.count) tensor(s) cannot be split over world size \(worldSize); "
                    + "world sizes that work: \(cleanList(checks.clean)):",
                details: problems)
        }
        return checks
    }

    /// Re-quantizing needs E4M3 codes and a scale the quantizer can produce again.
    private static func checkRequantizable(
        _ misaligned: [Int], _ input: ReshardInput, _ scales: [Int: Int]
    ) throws(ReshardError) {
        var problems: [String] = []
        for index in misaligned {
            let weight = input.tensors[index]
            let scale = input.tensors[scales[index]!]
            if weight.dtype != .float8E4M3FN {
                problems.append(
                    "'\(weight.name)' is \(weight.dtype.rawValue); only F8_E4M3 weights can be "
                        + "re-quantized")
            } else if scale.dtype != .float32 && scale.dtype != .float8E8M0 {
                problems.append(
                    "scale '\(scale.name)' is \(scale.dtype.rawValue); re-quantized scales are "
                        + "written as F32 or F8_E8M0")
            }
        }
        guard problems.isEmpty else {
            throw ReshardError(
                .badOption, "--requantize-misaligned cannot re-quantize these tensors:",
                details: problems)
        }
    }

    // MARK: - Pieces

    private static func buildPieces(
        kept: [Int], names: [TensorName], input: ReshardInput, options: ReshardOptions,
        scales: [Int: Int], expertCount: Int?, misaligned: Set<Int>
    ) -> [PlannedTensor] {
        let worldSize = options.worldSize
        let weightOfScale = Dictionary(uniqueKeysWithValues: scales.map { ($0.value, $0.key) })

        // Stream order: what every rank holds first, then experts rank by rank.
        func expertRank(_ index: Int) -> Int? {
            guard let expert = names[index].expert, let expertCount else { return nil }
            return ShardPlacement.rank(
                ofExpert: expert, expertCount: expertCount, worldSize: worldSize)
        }
        let shared = kept.filter { expertRank($0) == nil }
        let experts = kept.compactMap { index in expertRank(index).map { (index, $0) } }
            .sorted { ($0.1, $0.0) < ($1.1, $1.0) }.map(\.0)
        let order = shared + experts
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })

        return order.map { index in
            let info = input.tensors[index]
            let name = names[index]
            let output = name.spelled(options.outputNames)
            func whole(_ rank: Int) -> RankPiece {
                RankPiece(
                    rank: rank, name: output, dtype: info.dtype, shape: info.shape, range: nil)
            }

            if let rank = expertRank(index) {
                return PlannedTensor(
                    sourceIndex: index, source: info, name: name, method: .copy,
                    pieces: [whole(rank)])
            }
            guard worldSize > 1, case .split(let dimension) = name.placement else {
                return PlannedTensor(
                    sourceIndex: index, source: info, name: name, method: .copy,
                    pieces: (0..<worldSize).map(whole))
            }

            // A scale follows its weight: re-quantized with it, or sliced in block units.
            let weightIndex = name.isScale ? weightOfScale[index] : nil
            if let weightIndex, misaligned.contains(weightIndex) {
                let weight = input.tensors[weightIndex]
                let pieces = (0..<worldSize).map { rank in
                    var shape = weight.shape
                    shape[dimension] /= worldSize
                    return RankPiece(
                        rank: rank, name: output, dtype: info.dtype,
                        shape: shape.map { ($0 + 127) / 128 }, range: nil)
                }
                return PlannedTensor(
                    sourceIndex: index, source: info, name: name,
                    method: .requantizedScale(weight: position[weightIndex]!), pieces: pieces)
            }
            let sliceSize: Int
            if let weightIndex {
                sliceSize = input.tensors[weightIndex].shape[dimension] / worldSize / 128
            } else {
                sliceSize = info.shape[dimension] / worldSize
            }
            let pieces = (0..<worldSize).map { rank in
                var shape = info.shape
                shape[dimension] = sliceSize
                let start = rank * sliceSize
                return RankPiece(
                    rank: rank, name: output, dtype: info.dtype, shape: shape,
                    range: start..<(start + sliceSize))
            }
            if misaligned.contains(index), let scale = scales[index] {
                return PlannedTensor(
                    sourceIndex: index, source: info, name: name,
                    method: .requantize(dimension: dimension, scale: position[scale]!),
                    pieces: pieces)
            }
            return PlannedTensor(
                sourceIndex: index, source: info, name: name, method: .slice(dimension: dimension),
                pieces: pieces)
        }
    }
}
