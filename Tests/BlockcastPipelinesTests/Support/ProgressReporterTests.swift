import BlockcastPipelines
import Testing

@Suite struct ProgressReporterTests {
    private static let mebibyte: Int64 = 1 << 20

    @Test func logStylePrintsALinePerItemAndASummary() {
        let capture = CapturedConsole()
        let clock = ManualClock()
        let progress = ProgressReporter(
            task: "quantize", totalItems: 12, totalBytes: 24 * Self.mebibyte, style: .log,
            console: capture.console(isTerminal: false), clock: clock.read)
        clock.advance(0.5)
        progress.completed("model.embed_tokens.weight", bytes: 2 * Self.mebibyte)
        clock.advance(1.5)
        progress.completed("lm_head.weight", bytes: 512)
        progress.finish()
        progress.finish()
        #expect(
            capture.text == """
                quantize:  1/12 model.embed_tokens.weight (2.0 MiB)
                quantize:  2/12 lm_head.weight (512 B)
                quantize: 2 tensors, 2.0 MiB in 2.0 s (1.0 MiB/s)

                """)
    }

    @Test func jsonStyleWritesOneObjectPerEvent() {
        let capture = CapturedConsole()
        let clock = ManualClock()
        let progress = ProgressReporter(
            task: "reshard", totalItems: 2, totalBytes: 3000, style: .json,
            console: capture.console(isTerminal: false), clock: clock.read)
        clock.advance(0.25)
        progress.completed("a\"b", bytes: 1000)
        clock.advance(0.75)
        progress.completed("c", bytes: 2000)
        progress.finish()
        #expect(
            capture.text == """
                {"event":"start","task":"reshard","items":2,"bytes":3000}
                {"event":"item","task":"reshard","name":"a\\"b","done":1,"items":2,"bytes_done":1000,"bytes":3000,"elapsed_s":0.250}
                {"event":"item","task":"reshard","name":"c","done":2,"items":2,"bytes_done":3000,"bytes":3000,"elapsed_s":1.000}
                {"event":"finish","task":"reshard","done":2,"items":2,"bytes_done":3000,"elapsed_s":1.000,"bytes_per_s":3000}

                """)
    }

    @Test func runningTotalsReportWithoutItemNames() {
        let capture = CapturedConsole()
        let clock = ManualClock()
        let log = ProgressReporter(
            task: "quantize", totalItems: 2, totalBytes: 2048, style: .log,
            console: capture.console(isTerminal: false), clock: clock.read)
        log.update(itemsDone: 0, bytesDone: 512)  // bytes only: no log line
        log.update(itemsDone: 1, bytesDone: 1024)
        log.update(itemsDone: 1, bytesDone: 1024)  // no progress: nothing
        clock.advance(1)
        log.update(itemsDone: 2, bytesDone: 2048)
        log.finish()
        #expect(
            capture.text == """
                quantize: 1/2 1.0 KiB done
                quantize: 2/2 2.0 KiB done
                quantize: 2 tensors, 2.0 KiB in 1.0 s (2.0 KiB/s)

                """)

        let jsonCapture = CapturedConsole()
        let json = ProgressReporter(
            task: "q", totalItems: 1, totalBytes: 10, style: .json,
            console: jsonCapture.console(isTerminal: false), clock: clock.read)
        json.update(itemsDone: 0, bytesDone: 5)
        #expect(
            jsonCapture.text.hasSuffix(
                "{\"event\":\"item\",\"task\":\"q\",\"done\":0,\"items\":1,\"bytes_done\":5,"
                    + "\"bytes\":10,\"elapsed_s\":0.000}\n"))
    }

    @Test func barStyleRedrawsInPlaceAtMostTenTimesASecond() {
        let capture = CapturedConsole()
        let clock = ManualClock()
        let progress = ProgressReporter(
            task: "quantize", totalItems: 4, totalBytes: 40 * Self.mebibyte, style: .bar,
            console: capture.console(isTerminal: true), clock: clock.read)
        clock.advance(1)
        progress.completed("a", bytes: 10 * Self.mebibyte)  // drawn: first update
        clock.advance(0.05)
        progress.completed("b", bytes: 10 * Self.mebibyte)  // skipped: 50 ms after the last
        clock.advance(0.95)
        progress.completed("c", bytes: 10 * Self.mebibyte)  // drawn
        progress.completed("d", bytes: 10 * Self.mebibyte)  // drawn: the last item
        progress.finish()
        let clear = "\u{1B}[K"
        #expect(
            capture.text
                == "\rquantize   1/4 tensors   10.0 MiB/40.0 MiB     10.0 MiB/s   0:03 left\(clear)"
                + "\rquantize   3/4 tensors   30.0 MiB/40.0 MiB     15.0 MiB/s   0:01 left\(clear)"
                + "\rquantize   4/4 tensors   40.0 MiB/40.0 MiB     20.0 MiB/s\(clear)"
                + "\r\(clear)quantize: 4 tensors, 40.0 MiB in 2.0 s (20.0 MiB/s)\n")
    }

    @Test func diagnosticsClearTheStatusLineFirst() {
        let capture = CapturedConsole()
        let console = capture.console(isTerminal: true)
        let diagnostics = Diagnostics(console: console, usesColor: false)
        console.drawStatus("working")
        diagnostics.warning("odd")
        #expect(capture.text == "\rworking\u{1B}[K\r\u{1B}[Kwarning: odd\n")
    }

    @Test func noneStyleWritesNothing() {
        let capture = CapturedConsole()
        let progress = ProgressReporter(
            task: "x", totalItems: 1, totalBytes: 1, style: .none,
            console: capture.console(isTerminal: true))
        progress.completed("a", bytes: 1)
        progress.finish()
        #expect(capture.text.isEmpty)
    }

    @Test(arguments: [
        (false, true, ProgressReporter.Style.bar), (false, false, .log), (true, true, .none),
        (true, false, .none),
    ])
    func automaticStyleFollowsTerminalAndQuiet(
        _ quiet: Bool, _ isTerminal: Bool, _ expected: ProgressReporter.Style
    ) {
        #expect(ProgressReporter.Style.automatic(quiet: quiet, isTerminal: isTerminal) == expected)
    }

    @Test func countsEveryItemFromManyThreads() async {
        let capture = CapturedConsole()
        let progress = ProgressReporter(
            task: "t", totalItems: 400, totalBytes: 400, style: .json,
            console: capture.console(isTerminal: false))
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<4 {
                group.addTask {
                    for item in 0..<100 { progress.completed("\(task).\(item)", bytes: 1) }
                }
            }
        }
        progress.finish()
        let lines = capture.text.split(separator: "\n")
        #expect(lines.count == 402)
        #expect(lines.last?.contains("\"done\":400,\"items\":400,\"bytes_done\":400") == true)
    }
}
