import BlockcastPipelines
import Synchronization

/// A console that records what is written, for checking output byte for byte.
final class CapturedConsole: Sendable {
    private let buffer = Mutex("")

    /// Everything written so far.
    var text: String { buffer.withLock { $0 } }

    /// A ``Console`` writing here.
    func console(isTerminal: Bool) -> Console {
        Console(isTerminal: isTerminal) { [self] chunk in buffer.withLock { $0 += chunk } }
    }
}

/// A clock tests advance by hand.
final class ManualClock: Sendable {
    private let now = Mutex(100.0)

    /// Moves the clock forward by `seconds`.
    func advance(_ seconds: Double) { now.withLock { $0 += seconds } }

    /// The clock as a reporter takes it.
    var read: @Sendable () -> Double { { [self] in now.withLock { $0 } } }
}
