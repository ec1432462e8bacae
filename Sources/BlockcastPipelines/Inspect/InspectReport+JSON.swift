import BlockcastContainers
import BlockcastFormats
import BlockcastModel

extension InspectReport {
    /// The report as JSON (`inspect --json`): the same facts as ``text``, for programs.
    package var json: JSONValue {
        let tensors = rows.map { row -> JSONValue in
            [
                "name": .string(row.name), "dtype": .string(row.dtype.rawValue),
                "shape": .array(row.shape.map { .integer($0) }), "bytes": .integer(row.bytes),
                "file": .string(row.file),
            ]
        }
        var totalsObject: [String: JSONValue] = [:]
        for total in totals {
            totalsObject[total.dtype.rawValue] = [
                "count": .integer(total.count), "bytes": .integer(total.bytes),
            ]
        }
        var object: [String: JSONValue] = [
            "path": .string(path), "format": .string(format.rawValue),
            "files": .array(files.map { .string($0) }),
            "world_size": worldSize.map { .integer($0) } ?? .null,
            "tensor_count": .integer(rows.count), "bytes": .integer(totalBytes),
            "tensors": .array(tensors), "totals": .object(totalsObject),
            "coverage": coverage.json,
        ]
        if let config {
            object["config"] = config.summaryJSON
        } else {
            object["config"] = .null
            if let configProblem { object["config_problem"] = .string(configProblem) }
        }
        return .object(object)
    }
}

extension ModelConfig {
    /// The architecture parameters `inspect --json` reports.
    fileprivate var summaryJSON: JSONValue {
        [
            "vocab_size": .integer(vocabSize), "dim": .integer(dim),
            "inter_dim": .integer(interDim), "moe_inter_dim": .integer(moeInterDim),
            "n_layers": .integer(layerCount), "n_dense_layers": .integer(denseLayerCount),
            "n_heads": .integer(headCount), "n_routed_experts": .integer(routedExpertCount),
            "n_shared_experts": .integer(sharedExpertCount),
            "n_activated_experts": .integer(activatedExpertCount),
            "n_expert_groups": .integer(expertGroupCount),
            "n_limited_groups": .integer(limitedGroupCount),
            "score_func": .string(scoreFunction.rawValue), "route_scale": .number(routeScale),
            "q_lora_rank": .integer(qLoraRank), "kv_lora_rank": .integer(kvLoraRank),
            "qk_nope_head_dim": .integer(qkNopeHeadDim),
            "qk_rope_head_dim": .integer(qkRopeHeadDim), "v_head_dim": .integer(vHeadDim),
            "mtp_layers": .integer(mtpLayerCount),
            "summary": .array(summary.split(separator: "\n").map { .string(String($0)) }),
        ]
    }
}

extension ScaleCoverage {
    /// The coverage as JSON.
    var json: JSONValue {
        func pairs(_ list: [Pair]) -> JSONValue {
            .array(
                list.map {
                    [
                        "weight": .string($0.weight), "scale": .string($0.scale),
                        "file": .string($0.file),
                        "expected": .array($0.expected.map { .integer($0) }),
                        "found": .array($0.found.map { .integer($0) }),
                    ]
                })
        }
        return [
            "covered": .integer(covered.count),
            "wrong_shape": pairs(wrongShape),
            "missing_scale": .array(
                missingScale.map { ["name": .string($0.name), "file": .string($0.file)] }),
            "orphaned_scales": .array(
                orphanedScales.map { ["name": .string($0.name), "file": .string($0.file)] }),
            "high_precision_2d": .integer(highPrecision.count),
            "complete": .bool(isComplete),
        ]
    }
}
