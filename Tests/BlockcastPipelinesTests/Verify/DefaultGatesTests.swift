import BlockcastModel
import BlockcastPipelines
import BlockcastTestSupport
import Foundation
import Testing

@Suite struct DefaultGatesTests {
    private var gatesFolder: URL { TestPaths.repository.appendingPathComponent("formats/gates") }

    @Test func builtInFilesEqualTheCommittedOnes() throws {
        for (name, text) in DefaultGates.files.sorted(by: { $0.key < $1.key }) {
            let committed = try String(
                contentsOf: gatesFolder.appendingPathComponent(name), encoding: .utf8)
            #expect(committed == text, "formats/gates/\(name) differs from the built-in copy")
        }
    }

    @Test func everyCommittedGateFileLoads() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: gatesFolder.path)
            .filter { $0.hasSuffix(".json") }
        #expect(names.count >= 2)
        for name in names {
            let set = try GateSet(contentsOf: gatesFolder.appendingPathComponent(name))
            #expect(!set.isEmpty, "\(name) holds no gate")
            #expect(set.description?.isEmpty == false, "\(name) says nothing about its bounds")
        }
    }

    /// Plain rank files must be held to near-identity by every built-in default.
    @Test func everyDefaultHoldsRankFilesToNearIdentity() throws {
        for (name, text) in DefaultGates.files {
            let set = try GateSet(json: Data(text.utf8), source: name)
            #expect(set.gates(for: .sharded).contains(Gate(.routing, .equal, 1)), "\(name)")
            #expect(
                set.gates(for: .sharded).contains(Gate(.logitsRelRMS, .atMost, 1e-5)), "\(name)")
        }
    }

    @Test func theSyntheticPresetsGetTheirOwnGates() {
        #expect(DefaultGates.gates(for: SynthPreset.tiny.config).file == "synth-tiny.json")
        #expect(DefaultGates.gates(for: SynthPreset.small.config).file == "synth-small.json")
        #expect(DefaultGates.gates(for: .deepSeekV3_671B).file == "default.json")
        #expect(DefaultGates.gates(for: .deepSeekV2Lite16B).file == "default.json")
    }
}
