import Logging
import ServiceLifecycle
import UnixSignals

/// A tool's own work as a swift-service-lifecycle service: when it returns, the tool ends.
public struct ToolWork: Service {
    private let body: @Sendable () async throws -> Void

    public init(_ body: @escaping @Sendable () async throws -> Void) {
        self.body = body
    }

    public func run() async throws {
        try await body()
    }
}

/// How every tool runs: its main service and those alongside it (a listener, a background job)
/// in one `ServiceGroup`. A stop signal starts graceful shutdown, which the work sees between
/// batches (`Task.isShuttingDownGracefully`), finishing the batch in hand, and which cuts its
/// waits short (`cancelWhenGracefulShutdown`); the main service returning ends the group.
public enum ToolServices {
    /// `cancelAfter`: a main service still busy this long after the signal (a batch stuck on a
    /// stalled database, say) is cancelled, and its work in flight with it.
    public static func run(
        _ main: any Service, alongside: [any Service] = [], signals: [UnixSignal] = [.sigterm, .sigint], cancelAfter: Duration? = nil,
        logger: Logger
    ) async throws {
        // A main service that returns has done its work (a send run, say): that ends the group, not an error.
        let mainConfiguration = ServiceGroupConfiguration.ServiceConfiguration(service: main, successTerminationBehavior: .gracefullyShutdownGroup)
        let others = alongside.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
        var configuration = ServiceGroupConfiguration(services: [mainConfiguration] + others, gracefulShutdownSignals: signals, logger: logger)
        configuration.maximumGracefulShutdownDuration = cancelAfter
        try await ServiceGroup(configuration: configuration).run()
    }

    /// `run` with the work given as a closure.
    public static func run(
        alongside: [any Service] = [], signals: [UnixSignal] = [.sigterm, .sigint], cancelAfter: Duration? = nil, logger: Logger,
        _ work: @escaping @Sendable () async throws -> Void
    ) async throws {
        try await run(ToolWork(work), alongside: alongside, signals: signals, cancelAfter: cancelAfter, logger: logger)
    }
}
