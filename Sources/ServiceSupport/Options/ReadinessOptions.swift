import ArgumentParser
import Foundation
import Synchronization

/// `--ready-file`: a file written once the service can do its job (partitions assigned, or
/// listening), for scripts, tests and health checks to wait on instead of reading logs.
public struct ReadinessOptions: ParsableArguments, Sendable {
    @Option(help: "Write this file once the service is ready (its share of partitions received).")
    public var readyFile: String?

    public init() {}

    /// Writes the file now, its first line `ready <detail>` (a listening address, say).
    public func write(detail: String) {
        guard let readyFile else { return }
        try? "ready \(detail)\n".write(toFile: readyFile, atomically: true, encoding: .utf8)
    }

    /// A callback that writes the file the first time it is called; later calls do nothing.
    public func signal() -> @Sendable () -> Void {
        guard let readyFile else { return {} }
        let written = Atomic<Bool>(false)
        return {
            guard !written.exchange(true, ordering: .acquiringAndReleasing) else { return }
            let text = "ready \(ProcessInfo.processInfo.processIdentifier) \(ISO8601DateFormatter().string(from: Date()))\n"
            try? text.write(toFile: readyFile, atomically: true, encoding: .utf8)
        }
    }
}
