import Foundation
import Hummingbird
import JSON
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// What a long-running tool shows the people and systems that watch it, on a listener of its
/// own (`--metrics-listen`): `/metrics` in Prometheus's text format (every swift-metrics
/// counter, gauge and timer of the process), `/health` (the process answers and its main loop
/// goes round; 503 once it has not for `--health-stall-seconds`, so an orchestrator restarts a
/// wedged process) and `/ready` (its database, Kafka and partitions, as the tool judges them;
/// 503 until then).
public enum MonitoringServer {
    /// One registry per process, swift-metrics' backend from the first call on.
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Batch stores and requests take milliseconds to seconds.
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// The outcome of a readiness check: each part by name (`database`, `kafka`, a broker).
    public struct Readiness: Sendable {
        public var checks: [(name: String, ok: Bool, detail: String)]
        public var isReady: Bool { checks.allSatisfy(\.ok) }

        public init(_ checks: [(name: String, ok: Bool, detail: String)]) { self.checks = checks }
    }

    /// When the tool's main loop last went round, and how long it may go without.
    public struct Liveness: Sendable {
        public var lastProgress: @Sendable () -> ContinuousClock.Instant
        public var stallAfter: Duration

        public init(stallAfter: Duration, lastProgress: @escaping @Sendable () -> ContinuousClock.Instant) {
            self.lastProgress = lastProgress
            self.stallAfter = stallAfter
        }

        /// nil while the loop goes round; otherwise how long it has been stuck.
        public func stalledFor(now: ContinuousClock.Instant = .now) -> Duration? {
            let idle = now - lastProgress()
            return idle > stallAfter ? idle : nil
        }
    }

    /// Makes swift-metrics report to `registry`; call at start, before any metric is made.
    public static func bootstrap() { _ = registry }

    /// The monitoring listener as a swift-service-lifecycle service (it stops with the tool).
    public static func service(
        listen address: (host: String, port: Int), readiness: @escaping @Sendable () async -> Readiness, liveness: Liveness? = nil,
        logger: Logger
    ) -> some Service {
        let registry = Self.registry
        let router = Router()
        router.get("/metrics") { _, _ in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(16 * 1024)
            registry.emit(into: &bytes)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        router.get("/health") { _, _ in
            var status = HTTPResponse.Status.ok
            var body = JSONValue.object([("status", .string("alive"))])
            if let stalled = liveness?.stalledFor() {
                status = .serviceUnavailable
                let limit = liveness.map { $0.stallAfter / .seconds(1) } ?? 0
                body = .object([
                    ("status", .string("stalled")),
                    ("detail", .string("the main loop has not gone round for \(Int(stalled / .seconds(1))) s (limit \(Int(limit)) s)")),
                ])
            }
            return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body.serialized)))
        }
        router.get("/ready") { _, _ in
            let outcome = await readiness()
            let body = JSONValue.object([
                ("status", .string(outcome.isReady ? "ready" : "not ready")),
                ("checks", .object(outcome.checks.map { ($0.name, .object([("ok", .bool($0.ok)), ("detail", .string($0.detail))])) })),
            ])
            return Response(
                status: outcome.isReady ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: body.serialized)))
        }
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .notice)
        return Application(
            router: router, configuration: .init(address: .hostname(address.host, port: address.port), serverName: "elasticc-monitoring"),
            onServerRunning: { channel in
                logger.info("Monitoring listening", metadata: ["address": "\(channel.localAddress?.description ?? "?")"])
            }, logger: quiet)
    }
}
