import Dispatch
import Foundation
import Synchronization

/// Turns SIGTERM and SIGINT (and any other given signal) into a flag a service checks between
/// batches, so it can finish what is in hand and exit cleanly instead of dying mid-batch.
public final class TerminationSignal: Sendable {
    private final class State: Sendable {
        let received = Atomic<Int32>(0)
        let waiters = Mutex<[CheckedContinuation<Int32, Never>]>([])

        func fire(_ number: Int32) {
            received.store(number, ordering: .releasing)
            let pending = waiters.withLock { waiters in
                defer { waiters.removeAll() }
                return waiters
            }
            for waiter in pending { waiter.resume(returning: number) }
        }
    }

    private let state = State()
    // Created once in init and only kept alive here; DispatchSource is thread-safe.
    private nonisolated(unsafe) let sources: [DispatchSourceSignal]

    public init(signals: [Int32] = [SIGTERM, SIGINT]) {
        let queue = DispatchQueue(label: "elasticc.signals")
        let state = self.state
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { state.fire(number) }
            source.resume()
            return source
        }
    }

    public var isRequested: Bool { state.received.load(ordering: .acquiring) != 0 }

    /// Waits until a signal arrives; returns its number.
    public func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let already = state.waiters.withLock { waiters -> Int32 in
                let number = state.received.load(ordering: .acquiring)
                if number == 0 { waiters.append(continuation) }
                return number
            }
            if already != 0 { continuation.resume(returning: already) }
        }
    }
}
