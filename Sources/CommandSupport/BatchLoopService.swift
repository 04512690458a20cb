import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// A loop that checks a stop flag between batches, run as a swift-service-lifecycle `Service`:
/// graceful shutdown raises the flag, so the loop finishes the batch in hand (deliver, commit,
/// mark) and returns, rather than being cancelled mid-batch.
public struct BatchLoopService: Service {
    public typealias Loop = @Sendable (_ shouldStop: @escaping @Sendable () -> Bool) async throws -> Void

    private let loop: Loop

    public init(_ loop: @escaping Loop) {
        self.loop = loop
    }

    public func run() async throws {
        let stopRequested = Atomic<Bool>(false)
        try await withGracefulShutdownHandler {
            try await loop { stopRequested.load(ordering: .acquiring) }
        } onGracefulShutdown: {
            stopRequested.store(true, ordering: .releasing)
        }
    }

    /// Runs `loop` until it returns, or until one of `signals` arrives and it has finished its batch.
    /// With `cancelAfter`, a loop still busy that long after the signal (a batch stuck on a
    /// stalled database, say) is cancelled, and its work in flight with it.
    /// `alongside`: services that run as long as the loop (a monitoring listener, say).
    public static func run(
        signals: [UnixSignal] = [.sigterm, .sigint], cancelAfter: Duration? = nil, alongside: [any Service] = [], logger: Logger,
        _ loop: @escaping Loop
    ) async throws {
        // A loop that returns has done its work (a send run, say): that ends the group, not an error.
        let service = ServiceGroupConfiguration.ServiceConfiguration(
            service: BatchLoopService(loop), successTerminationBehavior: .gracefullyShutdownGroup)
        let others = alongside.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
        var configuration = ServiceGroupConfiguration(services: [service] + others, gracefulShutdownSignals: signals, logger: logger)
        configuration.maximumGracefulShutdownDuration = cancelAfter
        try await ServiceGroup(configuration: configuration).run()
    }

    /// Runs `services` (servers with no batches of their own) until one of `signals` arrives,
    /// then stops them gracefully.
    public static func waitForShutdown(signals: [UnixSignal] = [.sigterm, .sigint], alongside services: [any Service] = [], logger: Logger)
        async throws
    {
        try await run(signals: signals, alongside: services, logger: logger) { _ in try? await gracefulShutdown() }
    }
}
