import Dispatch
import Foundation

/// Waits for SIGTERM or SIGINT without killing the process, so deinitialisers run.
enum TerminationSignal {
    static func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let queue = DispatchQueue(label: "elasticc.signals")
            let resumed = ResumeOnce(continuation)
            queue.sync {
                for number in [SIGTERM, SIGINT] {
                    signal(number, SIG_IGN)
                    let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                    source.setEventHandler { resumed.resume(number) }
                    source.resume()
                    resumed.retain(source)
                }
            }
        }
    }

    private final class ResumeOnce: @unchecked Sendable {
        // Only touched on the serial signal queue.
        private var continuation: CheckedContinuation<Int32, Never>?
        private var sources: [DispatchSourceSignal] = []

        init(_ continuation: CheckedContinuation<Int32, Never>) { self.continuation = continuation }

        func retain(_ source: DispatchSourceSignal) { sources.append(source) }

        func resume(_ number: Int32) {
            continuation?.resume(returning: number)
            continuation = nil
        }
    }
}
