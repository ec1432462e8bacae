import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Reports how far a command is, on standard error, in one of four styles.
///
/// - `bar` (a terminal): one status line redrawn in place, at most ten times a second:
///   `quantize   37/120 tensors   1.2 GiB/3.4 GiB   410.0 MiB/s   0:05 left`.
/// - `log` (not a terminal): one plain line per finished item, then a summary.
/// - `json`: one JSON object per line (`start`, `item`, `finish` events) for scripts; these
///   go to standard error like every progress style, so that stdout keeps the command's
///   result. A command's machine-readable *report* is a different thing: it goes to the
///   file named by that command's own `--json FILE` option.
/// - `none` (`--quiet`): nothing.
///
/// Every method is safe to call from any thread.
public final class ProgressReporter: Sendable {
    /// How progress is shown.
    public enum Style: String, Sendable, CaseIterable {
        /// A status line updated in place.
        case bar

        /// Plain lines, one per item.
        case log

        /// JSON lines, one per event.
        case json

        /// Nothing at all.
        case none

        /// `bar` on a terminal, `log` elsewhere, `none` when quiet.
        public static func automatic(quiet: Bool, isTerminal: Bool) -> Style {
            if quiet { return .none }
            return isTerminal ? .bar : .log
        }
    }

    /// The smallest time between two redraws of the status line, in seconds.
    static let redrawInterval = 0.1

    private struct State {
        var itemsDone = 0
        var bytesDone: Int64 = 0
        var lastDraw: Double?
        var finished = false
    }

    private let task: String
    private let unit: String
    private let totalItems: Int
    private let totalBytes: Int64
    private let style: Style
    private let console: Console
    private let clock: @Sendable () -> Double
    private let start: Double
    private let state = Mutex(State())

    /// Starts reporting a task of `totalItems` items holding `totalBytes` bytes in all.
    ///
    /// - Parameters:
    ///   - task: The command's name, leading every line: `quantize`.
    ///   - unit: What an item is, plural: `tensors`.
    ///   - totalItems: How many items the task will complete.
    ///   - totalBytes: Their total size, for the rate and the time left (0 when unknown).
    ///   - style: How to show progress.
    ///   - console: Where to write; standard error by default.
    ///   - clock: Seconds on a monotonic clock; tests pass their own.
    public init(
        task: String, unit: String = "tensors", totalItems: Int, totalBytes: Int64,
        style: Style, console: Console = .standardError,
        clock: @escaping @Sendable () -> Double = ProgressReporter.monotonicSeconds
    ) {
        self.task = task
        self.unit = unit
        self.totalItems = totalItems
        self.totalBytes = totalBytes
        self.style = style
        self.console = console
        self.clock = clock
        self.start = clock()
        if style == .json {
            console.writeLines(
                JSONLine([
                    ("event", .string("start")), ("task", .string(task)),
                    ("items", .int(Int64(totalItems))), ("bytes", .int(totalBytes)),
                ]).text)
        }
    }

    /// Records that `item` is complete, `bytes` of it processed.
    public func completed(_ item: String, bytes: Int64) {
        let now = clock()
        state.withLock { state in
            state.itemsDone += 1
            state.bytesDone += bytes
            report(&state, item: (item, bytes), now: now)
        }
    }

    /// Records running totals, for pipelines that count items and bytes themselves (a
    /// callback of `(itemsDone, bytesDone)`); totals never go backwards.
    public func update(itemsDone: Int, bytesDone: Int64) {
        let now = clock()
        state.withLock { state in
            guard itemsDone > state.itemsDone || bytesDone > state.bytesDone else { return }
            let newItem = itemsDone > state.itemsDone
            state.itemsDone = max(state.itemsDone, itemsDone)
            state.bytesDone = max(state.bytesDone, bytesDone)

            // Plain logs get a line per finished item, not per byte update.
            if style == .log && !newItem { return }
            report(&state, item: nil, now: now)
        }
    }

    /// Writes the event for the current totals; `item` names what just finished, if known.
    private func report(_ state: inout State, item: (name: String, bytes: Int64)?, now: Double) {
        let elapsed = now - start
        switch style {
        case .none:
            break
        case .log:
            let what = item.map { "\($0.name) (\(ByteCount.text($0.bytes)))" }
            let done = "\(ByteCount.text(state.bytesDone)) done"
            console.writeLines("\(task): \(counter(state.itemsDone)) \(what ?? done)\n")
        case .json:
            var fields: [(String, JSONLine.Value)] = [
                ("event", .string("item")), ("task", .string(task)),
            ]
            if let item { fields.append(("name", .string(item.name))) }
            fields += [
                ("done", .int(Int64(state.itemsDone))), ("items", .int(Int64(totalItems))),
                ("bytes_done", .int(state.bytesDone)), ("bytes", .int(totalBytes)),
                ("elapsed_s", .seconds(elapsed)),
            ]
            console.writeLines(JSONLine(fields).text)
        case .bar:
            let due = state.lastDraw.map { now - $0 >= ProgressReporter.redrawInterval }
            if due ?? true || state.itemsDone == totalItems {
                state.lastDraw = now
                console.drawStatus(statusLine(state, elapsed: elapsed))
            }
        }
    }

    /// Ends the report with a summary line (`quantize: 120 tensors, 3.4 GiB in 8.2 s
    /// (410.0 MiB/s)`), or a `finish` event; later calls do nothing.
    public func finish() {
        let now = clock()
        state.withLock { state in
            guard !state.finished else { return }
            state.finished = true
            let elapsed = now - start
            let rate = elapsed > 0 ? Double(state.bytesDone) / elapsed : 0
            switch style {
            case .none:
                break
            case .json:
                console.writeLines(
                    JSONLine([
                        ("event", .string("finish")), ("task", .string(task)),
                        ("done", .int(Int64(state.itemsDone))), ("items", .int(Int64(totalItems))),
                        ("bytes_done", .int(state.bytesDone)), ("elapsed_s", .seconds(elapsed)),
                        ("bytes_per_s", .int(Int64(rate.rounded()))),
                    ]).text)
            case .log, .bar:
                console.clearStatus()
                console.writeLines(
                    "\(task): \(state.itemsDone) \(unit), \(ByteCount.text(state.bytesDone))"
                        + " in \(DurationText.secondsText(elapsed)) (\(ByteCount.text(rate))/s)\n")
            }
        }
    }

    /// `  37/120`: done over total, right-aligned to the width of the total.
    private func counter(_ done: Int) -> String {
        let total = String(totalItems)
        let count = String(done)
        return String(repeating: " ", count: max(0, total.count - count.count)) + count + "/"
            + total
    }

    /// The status line: fixed-width fields so it does not jitter as numbers change.
    private func statusLine(_ state: State, elapsed: Double) -> String {
        let rate = elapsed > 0 ? Double(state.bytesDone) / elapsed : 0
        var fields = [
            task, "\(counter(state.itemsDone)) \(unit)",
            "\(ByteCount.text(state.bytesDone))/\(ByteCount.text(totalBytes))",
            "\(ByteCount.text(rate))/s".padding(toWidth: 12),
        ]

        // Time left from the byte rate so far; unknown until some bytes are done.
        if rate > 0 && totalBytes > state.bytesDone {
            let left = Double(totalBytes - state.bytesDone) / rate
            fields.append("\(DurationText.clockText(left)) left")
        }
        return fields.joined(separator: "   ")
    }

    /// Seconds since an arbitrary fixed point, from `CLOCK_MONOTONIC`.
    public static let monotonicSeconds: @Sendable () -> Double = {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
    }
}

extension String {
    /// The string padded with spaces on the left to at least `width` characters.
    fileprivate func padding(toWidth width: Int) -> String {
        String(repeating: " ", count: max(0, width - count)) + self
    }
}
