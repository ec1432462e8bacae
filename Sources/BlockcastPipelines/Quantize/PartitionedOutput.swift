import BlockcastContainers
import BlockcastFormats
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One file an output will hold, with its tensors in order.
package struct PlannedFile: Sendable {
    /// The file name inside the output directory.
    package var name: String
    /// The tensors it holds, in order.
    package var tensors: [(name: String, dtype: DType, shape: [Int])]
}

/// A writer of one output file; ``PartitionedOutput`` makes them.
package protocol TensorFileWriting: AnyObject {
    /// Appends the next planned tensor.
    func write(name: String, tensor: Tensor) throws
    /// Finishes the file and renames it into place.
    func commit() throws
    /// Removes the unfinished file.
    func abandon()
    /// The manifest records of the tensors written, with file names relative to the output.
    var manifestEntries: [Manifest.Entry] { get }
}

/// The output directory of a command that writes several files, possibly from several
/// processes (`--part i/n`), resumable at the granularity of whole files.
///
/// Layout and protocol:
/// - every process computes the same list of files; process `i` of `n` writes the files whose
///   index is `i` modulo `n`;
/// - each file is written under a hidden temporary name and renamed when complete; then a
///   marker `<state>/<file>.done.json` (the plan's fingerprint and what the producer reported)
///   is written, so a file counts as done only when both exist;
/// - `<state>/plan.json` holds the fingerprint of the plan; a run whose plan differs refuses to
///   mix its files with those;
/// - when a process finds every file done, it creates `<state>/merge.lock` with `O_EXCL`; only
///   the process that creates it writes the merged files (index, config, manifest — manifest
///   last) and then removes the state directory. A lock left by a process that died (same
///   host, pid gone) is taken over; `--merge` runs only this last step.
package final class PartitionedOutput {
    /// The output directory.
    package let directory: String
    /// The files, in order.
    package let files: [PlannedFile]
    /// The names of the merged files the final step writes (index, config, manifest).
    package let mergedNames: [String]
    /// The container of the files.
    package let container: ContainerFormat
    private let fingerprint: String
    private let stateName: String
    private let partIndex: Int
    private let partCount: Int
    private let resume: Bool
    private let force: Bool

    private var createdDirectory = false
    private var committed: [String] = []

    /// What a finished file's marker recorded, by file index (from this run or earlier ones).
    package private(set) var reports: [Int: JSONValue] = [:]
    /// The manifest records of each finished file, by file index.
    package private(set) var manifests: [Int: [Manifest.Entry]] = [:]
    /// Files of this part that an earlier run had finished.
    package private(set) var resumedFiles: [Int] = []

    /// An output for `files` in `directory`.
    package init(
        directory: String, files: [PlannedFile], container: ContainerFormat,
        mergedNames: [String], fingerprint: String,
        stateName: String, partIndex: Int, partCount: Int, resume: Bool, force: Bool
    ) {
        self.directory = directory
        self.files = files
        self.mergedNames = mergedNames
        self.container = container
        self.fingerprint = fingerprint
        self.stateName = stateName
        self.partIndex = partIndex
        self.partCount = partCount
        self.resume = resume
        self.force = force
    }

    /// The indices of the files this part writes.
    package var myFiles: [Int] {
        files.indices.filter { $0 % partCount == partIndex }
    }

    private var stateDirectory: String { path(stateName) }
    private var lockPath: String { stateDirectory + "/merge.lock" }

    /// `name` inside the output directory.
    package func path(_ name: String) -> String {
        (directory as NSString).appendingPathComponent(name)
    }

    private func markerPath(_ file: Int) -> String {
        stateDirectory + "/" + files[file].name + ".done.json"
    }

    /// Checks and prepares the directory: refuses foreign or finished files unless `--force`
    /// or `--resume` allows them, clears what `--force` replaces, records the plan.
    package func prepare() throws(QuantizeError) {
        let planned = Set(files.map(\.name))
        let ours = planned.union(mergedNames).union([stateName])
        let mine = Set(myFiles.map { files[$0].name })

        if OutputFiles.exists(directory) {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory)
            guard isDirectory.boolValue else { throw .outputExists(path: directory) }

            let entries = OutputFiles.contents(of: directory)
            if force {
                for entry in entries where Self.isReplaceable(entry) || ours.contains(entry) {
                    // Other parts' files of the same run stay; everything else of ours goes.
                    if partCount > 1 && planned.contains(entry) && !mine.contains(entry) {
                        continue
                    }
                    if entry == stateName { continue }
                    OutputFiles.remove(path(entry))
                }
                for file in myFiles { OutputFiles.remove(markerPath(file)) }
                OutputFiles.remove(lockPath)
                if partCount == 1 { OutputFiles.remove(stateDirectory) }
            } else {
                let foreign = entries.filter { !ours.contains($0) && !OutputFiles.isTemporary($0) }
                let finished = entries.filter { mine.contains($0) || mergedNames.contains($0) }
                if !foreign.isEmpty || (!finished.isEmpty && !resume) {
                    throw .outputExists(path: directory)
                }
            }
        } else {
            try OutputFiles.makeDirectory(directory)
            createdDirectory = true
        }

        // Every part writes the same plan.json; a different one means a different run.
        try OutputFiles.makeDirectory(stateDirectory)
        let planPath = stateDirectory + "/plan.json"
        if let existing = try? String(contentsOfFile: planPath, encoding: .utf8),
            existing != fingerprint
        {
            if resume || partCount > 1 {
                throw .resumeMismatch(
                    path: directory,
                    reason: "its files were planned with other options or another input")
            }
        }
        try OutputFiles.writeAtomically(fingerprint, to: planPath)

        if resume {
            for file in myFiles where isDone(file) {
                resumedFiles.append(file)
            }
        }
    }

    /// Whether file `index` and its marker exist, with this plan's fingerprint; loads the
    /// marker's report.
    @discardableResult
    package func isDone(_ index: Int) -> Bool {
        guard OutputFiles.exists(path(files[index].name)),
            let bytes = FileManager.default.contents(atPath: markerPath(index)),
            let marker = try? JSONValue.parse(Array(bytes)),
            marker["fingerprint"]?.stringValue == fingerprint,
            let manifestJSON = marker["manifest"],
            let manifest = try? Manifest(json: manifestJSON, file: markerPath(index))
        else { return false }
        reports[index] = marker["report"] ?? .null
        manifests[index] = manifest.entries
        return true
    }

    /// Writes file `index` with `makeWriter` and `produce` (which writes every planned tensor
    /// and returns what the marker should record), then its marker.
    package func write(
        file index: Int, makeWriter: (String, PlannedFile) throws -> any TensorFileWriting,
        produce: (any TensorFileWriting) throws -> JSONValue
    ) throws {
        let finalPath = path(files[index].name)
        let writer = try makeWriter(finalPath, files[index])
        let report: JSONValue
        do {
            report = try produce(writer)
            try writer.commit()
        } catch {
            writer.abandon()
            throw error
        }
        committed.append(finalPath)

        let manifest = Manifest(
            container: container, files: [files[index].name], entries: writer.manifestEntries)
        let marker: JSONValue = [
            "fingerprint": .string(fingerprint), "file": .string(files[index].name),
            "report": report, "manifest": manifest.json,
        ]
        try OutputFiles.writeAtomically(marker.serialized(), to: markerPath(index))
        committed.append(markerPath(index))
        reports[index] = report
        manifests[index] = manifest.entries
    }

    /// The manifest of the whole output: every file's records, in file order.
    package var manifest: Manifest {
        Manifest(
            container: container, files: files.map(\.name),
            entries: files.indices.flatMap { manifests[$0] ?? [] })
    }

    /// What the final step found.
    package enum MergeOutcome: Equatable {
        /// This process wrote the merged files.
        case merged
        /// Files of other parts are not done yet (their names).
        case waiting([String])
        /// Another process holds the merge lock.
        case mergedElsewhere
    }

    /// Merges when every file is done and this process wins the lock: `merge` writes the
    /// merged files but the manifest, which is written last, here.
    package func finish(
        takeOverLock: Bool = false, merge: () throws -> Void
    ) throws -> MergeOutcome {
        let missing = files.indices.filter { !isDone($0) }.map { files[$0].name }
        if !missing.isEmpty { return .waiting(missing) }

        let owner = "\(Self.hostName()) \(getpid())"
        if !(try OutputFiles.createExclusively(lockPath, text: owner)) {
            guard takeOverLock || lockIsStale() else { return .mergedElsewhere }
            OutputFiles.remove(lockPath)
            guard try OutputFiles.createExclusively(lockPath, text: owner) else {
                return .mergedElsewhere
            }
        }
        try merge()
        try manifest.write(directory: directory)
        OutputFiles.remove(stateDirectory)
        committed.removeAll()
        return .merged
    }

    /// Removes what this run wrote after a failure: its finished files and markers (files of
    /// earlier runs and of other parts stay), and the directory if this run created it and
    /// nothing else is in it.
    package func discardAfterFailure() {
        for written in committed.reversed() { OutputFiles.remove(written) }
        committed.removeAll()
        guard createdDirectory else { return }
        let stateEntries = OutputFiles.contents(of: stateDirectory).filter { $0 != "plan.json" }
        if stateEntries.isEmpty { OutputFiles.remove(stateDirectory) }
        if OutputFiles.contents(of: directory).isEmpty { OutputFiles.remove(directory) }
    }

    /// A checkpoint-looking file `--force` may delete.
    private static func isReplaceable(_ name: String) -> Bool {
        OutputFiles.isTemporary(name) || name.hasSuffix(".safetensors") || name.hasSuffix(".h5")
            || name.hasSuffix(".hdf5") || name.hasSuffix(".index.json")
    }

    /// A lock whose owner ran on this host and has exited.
    private func lockIsStale() -> Bool {
        guard let text = try? String(contentsOfFile: lockPath, encoding: .utf8) else {
            return false
        }
        let parts = text.split(separator: " ")
        guard parts.count == 2, String(parts[0]) == Self.hostName(), let pid = Int32(parts[1])
        else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        return String(cString: buffer)
    }
}
