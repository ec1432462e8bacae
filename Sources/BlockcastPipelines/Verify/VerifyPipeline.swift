import BlockcastContainers
import BlockcastFormats
import BlockcastModel
import Foundation

/// `blockcast verify`: runs the reference and every candidate on the same tokens, compares
/// them and evaluates the gates (verification.md).
///
/// The reference is the original checkpoint on the fp32 path, or a logits file. Each
/// unsharded candidate is compared with that reference; rank files are compared with the
/// original checkpoint run unsharded on the same path, since for them the expectation is
/// near-identity. Reference runs are made once and shared; candidates are run one at a time,
/// so at most one candidate's weights are in memory beside the reference results.
public struct VerifyPipeline {
    /// What to do.
    public let options: VerifyOptions
    /// Where progress notes go (one line per model run).
    public let note: (String) -> Void

    /// A pipeline for `options`.
    public init(options: VerifyOptions, note: @escaping (String) -> Void = { _ in }) {
        self.options = options
        self.note = note
    }

    /// One planned comparison.
    private struct Plan {
        enum Subject {
            case checkpoint(ModelCheckpoint)
            case whatIf(WhatIf)
        }

        var subject: Subject
        var computePath: ComputePath
        var sharded: Bool
        var worldSize: Int
        var name: String
        var source: String

        var gatePath: VerifyPath { sharded ? .sharded : VerifyPath(computePath) }
    }

    /// What a candidate is compared with.
    private enum ReferenceKey: Hashable {
        /// The reference checkpoint on fp32, or the logits file.
        case primary
        /// The reference checkpoint, unsharded, on the candidate's own path.
        case unsharded(ComputePath)
    }

    /// Runs every comparison and returns the report; gate failures are in the report, not
    /// thrown.
    /// - Throws: ``VerifyError``, ``ModelError`` or ``ContainerError`` when the run cannot be
    ///   made (exit status 2).
    public func run() throws -> VerifyReport {
        let reference = try options.checkpoint.map(ModelCheckpoint.init)
        let candidates = try options.candidates.map(ModelCheckpoint.init)
        guard let config = reference?.config ?? candidates.first?.config else {
            throw VerifyError(
                .invalidRequest, "nothing to run: give the original checkpoint or a candidate")
        }
        for candidate in candidates where !candidate.config.hasShape(of: config) {
            throw VerifyError(
                .unusableCheckpoint,
                "candidate '\(candidate.location)' has a different model config from "
                    + "'\(reference?.location ?? candidates[0].location)'")
        }

        let logitsFile = try options.referenceLogits.map { path throws(VerifyError) in
            try LogitsFile.read(path, tensor: options.referenceTensor)
        }
        let tokens = try resolveTokens(config: config, logitsFile: logitsFile)
        if let logitsFile { try check(logitsFile, against: tokens, config: config) }

        let plans = try plan(reference: reference, candidates: candidates, config: config)
        let gates = try gateSet(config: config)
        try checkMeasurable(gates: gates, plans: plans, config: config)

        // Reference runs, each made once, in the order first needed.
        var references: [ReferenceKey: [SequenceTrace]] = [:]
        if let logitsFile {
            references[.primary] = logitsFile.logits.map { logits in
                SequenceTrace(positions: logits.count / config.vocabSize, logits: logits)
            }
        }
        let k = config.activatedExpertCount
        var reports: [CandidateReport] = []
        for plan in plans {
            let key: ReferenceKey = plan.sharded ? .unsharded(plan.computePath) : .primary
            if references[key] == nil, let reference {
                let path: ComputePath = key == .primary ? .fp32 : plan.computePath
                note("running the reference: \(path) of \(reference.location)")
                // Rank files on bf16 are held to the same arithmetic unsharded, rounding included.
                let model = withActivationRounding(try reference.transformer(path), on: path)
                references[key] = try Self.forward(model, tokens, expertsPerToken: k)
            }
            guard let referenceTraces = references[key] else {
                preconditionFailure("planned a candidate without a reference")
            }

            note("running \(plan.name) (\(plan.source))")
            let model: Transformer =
                switch plan.subject {
                case .checkpoint(let checkpoint): try checkpoint.transformer(plan.computePath)
                case .whatIf(let whatIf):
                    try reference!.whatIfTransformer(
                        plan.computePath, mode: whatIf == .fp8 ? .fp8 : .bf16,
                        scaleFormat: options.scaleFormat)
                }
            let traces = try Self.forward(
                withActivationRounding(model, on: plan.computePath), tokens, expertsPerToken: k)

            var comparison = PathComparison(
                vocabularySize: config.vocabSize,
                moeLayers: Array(config.denseLayerCount..<config.layerCount),
                expertCount: config.routedExpertCount, expertsPerToken: k)
            for (expected, observed) in zip(referenceTraces, traces) {
                comparison.add(reference: expected, candidate: observed)
            }
            let metrics = comparison.finish()
            let outcomes = gates.gates(for: plan.gatePath).map {
                GateOutcome(gate: $0, metrics: metrics)
            }
            reports.append(
                CandidateReport(
                    name: plan.name, path: plan.gatePath,
                    computePath: VerifyPath(plan.computePath), worldSize: plan.worldSize,
                    source: plan.source,
                    comparedWith: comparedWith(key, reference: reference),
                    metrics: metrics, gates: outcomes))
        }

        let summary = ReferenceSummary(
            checkpoint: options.referenceLogits == nil ? reference?.location : nil,
            logitsFile: options.referenceLogits,
            path: options.referenceLogits == nil ? .fp32 : nil)
        return VerifyReport(
            tool: "blockcast \(BuildInfo.version)", reference: summary,
            inputs: InputSummary(
                source: tokens.source, sequences: tokens.sequences.count,
                positions: tokens.positions, longest: tokens.longest),
            candidates: reports)
    }

    // MARK: - Planning

    private func plan(
        reference: ModelCheckpoint?, candidates: [ModelCheckpoint], config: ModelConfig
    ) throws(VerifyError) -> [Plan] {
        var plans: [Plan] = []
        let filter = Set(options.paths.compactMap(\.computePath))
        let wantsSharded = options.paths.contains(.sharded)

        func paths(_ natural: [VerifyPath], for what: String) throws(VerifyError) -> [ComputePath] {
            let available = natural.compactMap(\.computePath)
            guard !filter.isEmpty else { return available }
            let chosen = available.filter(filter.contains)
            guard !chosen.isEmpty else {
                let asked = options.paths.map(\.rawValue).joined(separator: ", ")
                let offered = natural.map(\.rawValue).joined(separator: ", ")
                throw VerifyError(
                    .invalidRequest,
                    "\(what) runs on \(offered), not on the requested --path \(asked)")
            }
            return chosen
        }

        for whatIf in options.whatIfs {
            guard reference != nil else {
                throw VerifyError(
                    .invalidRequest,
                    "--what-if \(whatIf.rawValue) needs the original checkpoint to derive from")
            }
            let natural: [VerifyPath] = whatIf == .fp8 ? [.fp8Dequant, .fp8Gemm] : [.bf16]
            let scales = options.scaleFormat == .ue8m0 ? "ue8m0" : "fp32"
            let source =
                whatIf == .fp8 ? "what-if fp8, \(scales) scales" : "what-if bf16"
            for path in try paths(natural, for: "--what-if \(whatIf.rawValue)") {
                plans.append(
                    Plan(
                        subject: .whatIf(whatIf), computePath: path, sharded: false,
                        worldSize: 1, name: path.rawValue, source: source))
            }
        }

        var subjects = candidates
        if subjects.isEmpty && options.whatIfs.isEmpty {
            // With a logits file as the reference, the checkpoint itself is what is checked.
            guard options.referenceLogits != nil, let reference else {
                throw VerifyError(
                    .invalidRequest,
                    "nothing to compare: give --candidate CHECKPOINT or --what-if fp8|bf16")
            }
            subjects = [reference]
        }
        for candidate in subjects {
            var natural = candidate.kind.naturalPaths
            let what = "'\(candidate.location)' (\(candidate.kind.rawValue) weights)"
            if let worldSize = candidate.worldSize {
                // Sharding changes the order of float32 additions; on fp8-gemm that flips the
                // FP8 rounding of activations near a tie, so rank files are near-identical to
                // their checkpoint on fp8-dequant only; fp8-gemm runs when --path asks for it.
                if candidate.kind == .fp8 && !filter.contains(.fp8Gemm) {
                    natural = [.fp8Dequant]
                }
                guard let reference else {
                    throw VerifyError(
                        .invalidRequest,
                        "rank files \(what) are compared with the unsharded checkpoint they "
                            + "were made from: give it as the first argument")
                }
                guard reference.worldSize == nil else {
                    throw VerifyError(
                        .unusableCheckpoint,
                        "the reference '\(reference.location)' is itself a set of rank files; "
                            + "give the unsharded checkpoint")
                }
                guard reference.kind == candidate.kind else {
                    throw VerifyError(
                        .unusableCheckpoint,
                        "rank files \(what) are compared with the checkpoint they were made "
                            + "from, unsharded; '\(reference.location)' holds "
                            + "\(reference.kind.rawValue) weights. Run verify with the "
                            + "\(candidate.kind.rawValue) checkpoint as the reference")
                }
                for path in try paths(natural, for: what) {
                    plans.append(
                        Plan(
                            subject: .checkpoint(candidate), computePath: path, sharded: true,
                            worldSize: worldSize,
                            name: "sharded \(path.rawValue) ×\(worldSize)",
                            source: candidate.location))
                }
            } else {
                if wantsSharded {
                    throw VerifyError(
                        .invalidRequest, "--path sharded: \(what) is not a set of rank files")
                }
                for path in try paths(natural, for: what) {
                    plans.append(
                        Plan(
                            subject: .checkpoint(candidate), computePath: path, sharded: false,
                            worldSize: 1, name: path.rawValue, source: candidate.location))
                }
            }
        }

        // Two candidates on one path would share a row label: add where each came from.
        let counts = Dictionary(plans.map { ($0.name, 1) }, uniquingKeysWith: +)
        for i in plans.indices where counts[plans[i].name, default: 0] > 1 {
            let origin = URL(fileURLWithPath: plans[i].source).lastPathComponent
            plans[i].name += " [\(plans[i].source.hasPrefix("what-if") ? plans[i].source : origin)]"
        }
        return plans
    }

    /// `model` with `--bf16-activations` applied: on the bf16 path only.
    private func withActivationRounding(_ model: Transformer, on path: ComputePath) -> Transformer {
        var model = model
        model.bfloat16BetweenBlocks = options.bfloat16Activations && path == .bf16
        return model
    }

    private func comparedWith(_ key: ReferenceKey, reference: ModelCheckpoint?) -> String {
        switch key {
        case .primary:
            if let file = options.referenceLogits { return "logits of \(file)" }
            return "fp32 of \(reference?.location ?? "?")"
        case .unsharded(let path):
            return "\(path.rawValue) of \(reference?.location ?? "?"), unsharded"
        }
    }

    // MARK: - Tokens

    private func resolveTokens(
        config: ModelConfig, logitsFile: LogitsFile.Contents?
    ) throws(VerifyError) -> TokenSequences {
        let tokens: TokenSequences
        if options.tokens == nil, let recorded = logitsFile?.tokens,
            let path = options.referenceLogits
        {
            tokens = TokenSequences(sequences: recorded, source: path)
        } else {
            switch options.tokens ?? VerifyOptions.defaultGenerated {
            case .file(let path):
                tokens = try TokenSequences(contentsOf: URL(fileURLWithPath: path))
            case .generated(let count, let length, let seed):
                tokens = .generated(
                    sequences: count, length: length, seed: seed,
                    vocabularySize: config.vocabSize)
            }
        }
        try tokens.validate(vocabularySize: config.vocabSize, maxSequenceLength: config.maxSeqLen)
        return tokens
    }

    private func check(
        _ file: LogitsFile.Contents, against tokens: TokenSequences, config: ModelConfig
    ) throws(VerifyError) {
        let path = options.referenceLogits ?? "?"
        guard file.vocabularySize == config.vocabSize else {
            throw VerifyError(
                .invalidReferenceLogits,
                "reference logits '\(path)' have a vocabulary of \(file.vocabularySize); the "
                    + "model's is \(config.vocabSize)")
        }
        let lengths = tokens.sequences.map(\.count)
        let fileLengths = file.logits.map { $0.count / file.vocabularySize }
        guard lengths == fileLengths else {
            throw VerifyError(
                .invalidReferenceLogits,
                "reference logits '\(path)' hold \(fileLengths.count) sequences of "
                    + "\(fileLengths.first ?? 0) positions; the tokens are "
                    + "\(lengths.count) sequences of \(lengths.first ?? 0)")
        }
        if let recorded = file.tokens, recorded != tokens.sequences {
            throw VerifyError(
                .invalidReferenceLogits,
                "reference logits '\(path)' were computed from other tokens than "
                    + "\(tokens.source)")
        }
    }

    // MARK: - Gates

    private func gateSet(config: ModelConfig) throws(VerifyError) -> GateSet {
        let flags = GateSet(flags: options.gates)
        if let file = options.gateFile {
            return try GateSet(contentsOf: URL(fileURLWithPath: file)).merged(with: flags)
        }
        if !options.gates.isEmpty { return flags }
        let defaults = DefaultGates.gates(for: config)
        note("gates: the built-in \(defaults.file)")
        return defaults.gates
    }

    /// A `--gate` on a metric the run cannot measure is a request that cannot be met.
    private func checkMeasurable(
        gates: GateSet, plans: [Plan], config: ModelConfig
    ) throws(VerifyError) {
        for plan in plans {
            let traceless = options.referenceLogits != nil && !plan.sharded
            for gate in options.gates where gate.path == nil || gate.path == plan.gatePath {
                let routingless = config.moeLayerCount == 0 && gate.metric.isRoutingMetric
                if (traceless && gate.metric.needsReferenceTrace) || routingless {
                    throw VerifyError(
                        .unmeasurableGate,
                        "--gate '\(gate.text)': \(gate.metric.rawValue) cannot be measured for "
                            + "\(plan.name): "
                            + (routingless
                                ? "the model has no MoE layer"
                                : "a reference read from a logits file has no hidden states "
                                    + "or routing"))
                }
            }
        }
    }

    // MARK: - Running

    private static func forward(
        _ model: Transformer, _ tokens: TokenSequences, expertsPerToken: Int
    ) throws -> [SequenceTrace] {
        try model.forward(tokens: tokens.sequences, keepHiddenStates: true)
            .traces(expertsPerToken: expertsPerToken)
    }
}

extension Metric {
    /// Whether the metric is about expert routing.
    var isRoutingMetric: Bool {
        self == .routing || self == .routingMinLayer || self == .loadMaxShift
    }
}
