import Foundation

/// Gates grouped by the path they apply to, as a gate file holds them.
///
/// `all` applies to every candidate; each path's own list is added for candidates on that
/// path. Sharded candidates take the `sharded` list (they are compared with the same path
/// unsharded, so the other paths' tolerances do not apply).
public struct GateSet: Equatable, Sendable {
    /// The current gate-file version this build writes and reads (formats/gate-file.md).
    public static let version = 1
    /// The `format` field every gate file carries.
    public static let formatName = "blockcast-gates"

    /// Gates for every candidate.
    public var all: [Gate]
    /// Gates per path.
    public var byPath: [VerifyPath: [Gate]]
    /// What the file says about itself (where its bounds come from), if anything.
    public var description: String?

    /// Creates a set.
    public init(all: [Gate] = [], byPath: [VerifyPath: [Gate]] = [:], description: String? = nil) {
        self.all = all
        self.byPath = byPath
        self.description = description
    }

    /// A set of gates given on the command line: path-qualified gates go to their path, the
    /// others to `all`.
    public init(flags gates: [Gate]) {
        self.init()
        for gate in gates {
            if let path = gate.path {
                byPath[path, default: []].append(gate)
            } else {
                all.append(gate)
            }
        }
    }

    /// The gates a candidate on `path` is held to, `all` first, without duplicates.
    public func gates(for path: VerifyPath) -> [Gate] {
        var seen = Set<Gate>()
        return (all + (byPath[path] ?? [])).filter { gate in
            var unscoped = gate
            unscoped.path = nil
            return seen.insert(unscoped).inserted
        }
    }

    /// The union of two sets (a gate file's and the flags').
    public func merged(with other: GateSet) -> GateSet {
        var result = self
        result.all += other.all
        for (path, gates) in other.byPath { result.byPath[path, default: []] += gates }
        return result
    }

    /// Whether the set holds no gate at all.
    public var isEmpty: Bool { all.isEmpty && byPath.values.allSatisfy(\.isEmpty) }
}

// MARK: - Gate files

extension GateSet {
    /// Reads a gate file (formats/gate-file.md).
    /// - Throws: ``VerifyError`` (`invalidGateFile`) naming the file and the entry at fault.
    public init(contentsOf url: URL) throws(VerifyError) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw VerifyError(.invalidGateFile, "cannot read gate file '\(url.path)'")
        }
        try self.init(json: data, source: url.path)
    }

    /// Parses gate-file JSON; `source` names it in messages.
    public init(json data: Data, source: String) throws(VerifyError) {
        func fail(_ message: String) -> VerifyError {
            VerifyError(.invalidGateFile, "gate file '\(source)': \(message)")
        }

        guard let object = try? JSONSerialization.jsonObject(with: data),
            let root = object as? [String: Any]
        else { throw fail("not a JSON object") }
        guard let format = root["format"] as? String, format == Self.formatName else {
            throw fail("'format' must be \"\(Self.formatName)\"")
        }
        guard let version = root["version"] as? Int else {
            throw fail("'version' must be an integer")
        }
        guard version == Self.version else {
            throw fail("version \(version) is not supported (this build reads \(Self.version))")
        }
        let known: Set<String> = ["format", "version", "description", "gates"]
        if let extra = root.keys.sorted().first(where: { !known.contains($0) }) {
            throw fail("unknown key '\(extra)'")
        }
        guard let sections = root["gates"] as? [String: Any] else {
            throw fail("'gates' must be an object mapping a path (or \"all\") to a list")
        }

        self.init(description: root["description"] as? String)
        for key in sections.keys.sorted() {
            let path = VerifyPath(rawValue: key)
            guard key == "all" || path != nil else {
                throw fail("unknown path '\(key)' (known: all, \(VerifyPath.spelledOut))")
            }
            guard let entries = sections[key] as? [Any] else {
                throw fail("'gates.\(key)' must be a list of gate strings")
            }
            var gates: [Gate] = []
            for (index, entry) in entries.enumerated() {
                guard let text = entry as? String else {
                    throw fail("'gates.\(key)[\(index)]' is not a string")
                }
                let gate: Gate
                do {
                    gate = try Gate(parsing: text)
                } catch {
                    throw fail("'gates.\(key)[\(index)]': \(error.message)")
                }
                guard gate.path == nil else {
                    throw fail("'gates.\(key)[\(index)]': a path prefix is not allowed here")
                }
                gates.append(gate)
            }
            if let path { byPath[path] = gates } else { all = gates }
        }
    }

    /// The set as gate-file JSON, keys sorted, one gate per line.
    public func json() -> String {
        var sections: [(String, [Gate])] = []
        if !all.isEmpty { sections.append(("all", all)) }
        for path in VerifyPath.allCases {
            if let gates = byPath[path] { sections.append((path.rawValue, gates)) }
        }

        var lines = [
            "{", "  \"format\": \"\(Self.formatName)\",", "  \"version\": \(Self.version),",
        ]
        if let description {
            lines.append("  \"description\": \(ReportFormat.jsonString(description)),")
        }
        lines.append("  \"gates\": {")
        for (i, (key, gates)) in sections.enumerated() {
            lines.append("    \"\(key)\": [")
            for (j, gate) in gates.enumerated() {
                let comma = j == gates.count - 1 ? "" : ","
                lines.append("      \(ReportFormat.jsonString(gate.condition))\(comma)")
            }
            lines.append("    ]" + (i == sections.count - 1 ? "" : ","))
        }
        lines += ["  }", "}"]
        return lines.joined(separator: "\n") + "\n"
    }
}
