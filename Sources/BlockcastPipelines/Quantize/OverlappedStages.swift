import Dispatch
import Foundation

/// Runs read → process → write over `count` items with the stages overlapped: item `i + 1` is
/// read on one background thread and item `i - 1` written on another while item `i` is
/// processed on the calling thread (with all kernel threads).
///
/// Reading and writing are system calls that copy between the page cache and memory; doing
/// them beside the conversion keeps both cores busy. Order is kept (one serial queue per
/// stage), so output bytes are those of a sequential run. At most two inputs and two outputs
/// are alive at once. The first error of any stage stops the loop and is thrown, after the
/// background stages have gone idle.
enum OverlappedStages {
    static func run<Input: Sendable, Output: Sendable>(
        count: Int,
        read: @escaping @Sendable (Int) throws -> Input,
        process: (Int, Input) throws -> Output,
        write: @escaping @Sendable (Int, Output) throws -> Void
    ) throws {
        let readQueue = DispatchQueue(label: "blockcast.stage.read")
        let writeQueue = DispatchQueue(label: "blockcast.stage.write")
        let writeTurn = DispatchSemaphore(value: 1)
        let failure = ErrorBox()

        func startRead(_ index: Int) -> ReadSlot<Input> {
            let slot = ReadSlot<Input>()
            readQueue.async {
                slot.result = Result { try read(index) }
                slot.ready.signal()
            }
            return slot
        }

        var pending: ReadSlot<Input>? = count > 0 ? startRead(0) : nil
        defer {
            // Let the background stages finish before the caller tears anything down.
            pending?.ready.wait()
            writeQueue.sync {}
        }
        for index in 0..<count {
            guard let slot = pending else { break }
            slot.ready.wait()
            pending = nil
            let input = try slot.result!.get()
            if index + 1 < count { pending = startRead(index + 1) }

            let output = try process(index, input)
            writeTurn.wait()
            if let error = failure.error {
                writeTurn.signal()
                throw error
            }
            writeQueue.async {
                do {
                    try write(index, output)
                } catch {
                    failure.record(error)
                }
                writeTurn.signal()
            }
        }
        writeQueue.sync {}
        if let error = failure.error { throw error }
    }
}

/// One read in flight: its result, and a semaphore signalled when it is there.
private final class ReadSlot<Value>: @unchecked Sendable {
    var result: Result<Value, any Error>?
    let ready = DispatchSemaphore(value: 0)
}

/// The first error of the write stage.
private final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var first: (any Error)?

    var error: (any Error)? { lock.withLock { first } }

    func record(_ error: any Error) {
        lock.withLock { if first == nil { first = error } }
    }
}
