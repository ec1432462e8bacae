import BlockcastArguments
import BlockcastPipelines
import Foundation

/// Options several commands share, declared once so they read the same everywhere.
enum CommonOptions {
    /// `--threads N`: the thread limit for kernels and OpenBLAS.
    static let threads = Option.value(
        "--threads", "n", help: "Use at most n threads (default: every core).",
        kind: .positiveInteger)

    /// `--quiet`: no progress and no notes.
    static let quiet = Option.flag(
        "--quiet", help: "Show no progress and no notes; warnings and errors still print.")

    /// `--progress STYLE`: how progress is shown on stderr.
    static let progress = Option.value(
        "--progress", "style",
        help: "How progress is shown on stderr: bar (a line redrawn in place), log (a line "
            + "per tensor), json (one JSON object per event), none; auto picks bar on a "
            + "terminal and log otherwise.",
        kind: .choice(["auto"] + ProgressReporter.Style.allCases.map(\.rawValue)),
        default: "auto")

    /// `--part i/n`: this process's share of the tensors.
    static let part = Option.value(
        "--part", "i/n",
        help: "Handle only part i of n of the tensors (1-based), for n processes writing "
            + "into the same output; without it the part comes from SLURM_PROCID and "
            + "SLURM_NTASKS, OMPI_COMM_WORLD_RANK and OMPI_COMM_WORLD_SIZE, or PMI_RANK and "
            + "PMI_SIZE (0-based ranks), else the whole.")

    /// The options of every command that does sizeable work.
    static let execution = [threads, quiet, progress]
}

/// The values of ``CommonOptions`` in one command line, applied to the process.
struct CommonSettings {
    /// How to show progress.
    var progressStyle: ProgressReporter.Style

    /// Whether `--quiet` was given.
    var isQuiet: Bool

    /// This process's share of the work (the whole when the command takes no `--part`).
    var partition: WorkPartition

    /// Reads the common options `parsed`'s command declares and applies them: the thread
    /// limit, and quiet diagnostics.
    ///
    /// - Throws: ``ArgumentError`` for a bad `--part` or launcher rank, or for `--quiet`
    ///   given with `--progress`.
    init(
        _ parsed: ParsedArguments,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ArgumentError) {
        isQuiet = parsed.declares("--quiet") && parsed.flag("--quiet")
        let progressChoice = parsed.declares("--progress") ? parsed.string("--progress") : nil
        if isQuiet && parsed.declares("--progress") && parsed.isPresent("--progress") {
            throw parsed.error("options '--quiet' and '--progress' exclude each other")
        }
        if let progressChoice, let style = ProgressReporter.Style(rawValue: progressChoice) {
            progressStyle = style
        } else {
            progressStyle = .automatic(
                quiet: isQuiet, isTerminal: Console.standardError.isTerminal)
        }

        do {
            let part = parsed.declares("--part") ? parsed.string("--part") : nil
            partition = try WorkPartition.resolve(
                part: part, environment: parsed.declares("--part") ? environment : [:])
        } catch {
            throw parsed.error(error.message)
        }

        if parsed.declares("--threads"), let threads = parsed.int("--threads") {
            ThreadLimit.apply(threads)
        }
        Diagnostics.standard.isQuiet = isQuiet
    }

    /// A progress reporter for `totalItems` items of `totalBytes` bytes, in the chosen style.
    func progress(task: String, totalItems: Int, totalBytes: Int64) -> ProgressReporter {
        ProgressReporter(
            task: task, totalItems: totalItems, totalBytes: totalBytes, style: progressStyle)
    }
}
