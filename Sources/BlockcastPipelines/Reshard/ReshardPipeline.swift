import BlockcastContainers
import BlockcastFormats
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a ``ReshardPlan``: reads each input tensor once and streams its pieces into the rank
/// files, which are laid out in advance (see ``RankFileWriter``), so memory stays near one
/// tensor whatever the world size.
///
/// Each rank file is renamed into place as soon as its last piece is written; the config,
/// tokenizer files and finally the manifest follow. A failure removes everything this run
/// wrote; an interrupted run leaves only complete rank files, which `--resume` keeps.
package enum ReshardPipeline {
    /// The output file of `rank`: `model{r}-mp{n}.safetensors` (or `.h5`), or
    /// `model.safetensors` for a merge back to Hugging Face names.
    package static func fileName(rank: Int, options: ReshardOptions) -> String {
        let suffix = options.format == .hdf5 ? "h5" : "safetensors"
        if options.outputNames == .huggingFace && options.worldSize == 1 {
            return "model.\(suffix)"
        }
        return "model\(rank)-mp\(options.worldSize).\(suffix)"
    }

    /// Writes `plan`'s rank files for `source` into `output`.
    ///
    /// - Throws: ``ReshardError`` when the output cannot be written, the input cannot be
    ///   read, or `--resume` finds files of another plan; nothing of this run is left then.
    package static func run(
        source: ReshardSource, plan: ReshardPlan, output: String, options: ReshardOptions,
        progress: ProgressReporter? = nil
    ) throws(ReshardError) -> ReshardReport {
        precondition(source.isReadable, "a preset can only be planned")
        let started = ProgressReporter.monotonicSeconds()
        let files = (0..<plan.worldSize).map { fileName(rank: $0, options: options) }
        let created = try prepareOutput(output, source: source, files: files, options: options)

        let config = source.configBytes.flatMap { try? JSONValue.parse($0) }
        let session: StreamSession
        do {
            session = try StreamSession(
                plan: plan, directory: output, files: files, options: options, config: config)
        } catch {
            if created { rmdir(output) }
            throw error
        }
        var report = ReshardReport()
        do throws(ReshardError) {
            try session.stream(
                source: source, scaleFormat: source.input.scaleFormat,
                progress: progress, report: &report)
            try session.checksumKeptRanks()
            report.copiedFiles = try copySideFiles(source: source, output: output, files: files)
            let manifest = Manifest(
                container: options.format, files: files, entries: session.manifestEntries())
            do {
                try manifest.write(directory: output)
            } catch {
                throw ReshardError(.output, error.description)
            }
        } catch {
            session.removeWrittenFiles()
            for file in report.copiedFiles {
                unlink((output as NSString).appendingPathComponent(file))
            }
            // Only an empty directory goes, and only one this run created.
            if created { rmdir(output) }
            throw error
        }
        progress?.finish()

        report.files = files
        report.keptFiles = session.keptFiles
        report.leftOut = plan.leftOut.count
        report.pieceCount = plan.tensors.reduce(0) { $0 + $1.pieces.count }
        report.bytesWritten = session.bytesWritten
        report.seconds = ProgressReporter.monotonicSeconds() - started
        return report
    }

    /// Creates the output directory (returning whether it had to), refuses to overwrite an
    /// earlier output unless asked, and removes temporary files a killed run left behind.
    private static func prepareOutput(
        _ output: String, source: ReshardSource, files: [String], options: ReshardOptions
    ) throws(ReshardError) -> Bool {
        let manager = FileManager.default
        let target = URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath()
        if let directory = source.directory {
            let input = URL(fileURLWithPath: directory).standardizedFileURL
                .resolvingSymlinksInPath()
            if input.path == target.path {
                throw ReshardError(
                    .badOption,
                    "The output directory '\(output)' is the input's directory; choose another.")
            }
        }
        var isDirectory: ObjCBool = false
        var created = false
        if manager.fileExists(atPath: output, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw ReshardError(.output, "The output '\(output)' exists and is not a directory.")
            }
        } else {
            created = true
            do {
                try manager.createDirectory(atPath: output, withIntermediateDirectories: true)
            } catch {
                throw ReshardError(
                    .output, "Could not create the output directory '\(output)': \(error).")
            }
        }
        let existing = (files + [Manifest.fileName]).filter {
            manager.fileExists(atPath: (output as NSString).appendingPathComponent($0))
        }
        if !existing.isEmpty && !options.resume && !options.force {
            throw ReshardError(
                .output,
                "The output directory '\(output)' already holds \(existing.joined(separator: ", "))"
                    + "; pass --force to replace them or --resume to finish an interrupted run.")
        }

        let leftovers = (try? manager.contentsOfDirectory(atPath: output)) ?? []
        for name in leftovers where name.hasPrefix(".") && name.contains(".partial-") {
            let stem = name.dropFirst().prefix { $0 != "/" }
            if files.contains(where: { stem.hasPrefix($0 + ".partial-") }) {
                unlink((output as NSString).appendingPathComponent(name))
            }
        }
        return created
    }

    /// Copies `config.json` and every `*token*` file beside the input into `output`.
    private static func copySideFiles(
        source: ReshardSource, output: String, files: [String]
    ) throws(ReshardError) -> [String] {
        var copied: [String] = []
        if let bytes = source.configBytes {
            try writeAtomically(
                bytes, to: (output as NSString).appendingPathComponent("config.json"))
            copied.append("config.json")
        }
        guard let directory = source.directory else { return copied }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names.sorted() where name.contains("token") && !name.hasPrefix(".") {
            let path = (directory as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
                !isDirectory.boolValue, !files.contains(name)
            else { continue }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ReshardError(.input, "Could not read the tokenizer file '\(path)'.")
            }
            try writeAtomically(
                [UInt8](data), to: (output as NSString).appendingPathComponent(name))
            copied.append(name)
        }
        return copied
    }

    /// Writes `bytes` under a temporary name beside `path`, then renames it into place.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(ReshardError) {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())").path
        let written = FileManager.default.createFile(atPath: temporary, contents: Data(bytes))
        guard written, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw ReshardError(.output, "Could not write '\(path)'.")
        }
    }
}
