import Foundation
import Logging
import ServiceLifecycle

/// Runs one poller per broker side by side and reports on each every interval: broker-poll's
/// service, until graceful shutdown.
public struct BrokerPollService: Service {
    public let pollers: [BrokerPoller]
    let logger: Logger
    let statsInterval: Duration
    let onReady: @Sendable () -> Void

    /// `alone`: this is the only broker-poll of its groups, so each takes its partitions directly;
    /// `storingSessions`: each broker's database sessions storing batches side by side;
    /// `onReady`: once every broker has its share of partitions (none, for a replica too many).
    public init(
        sources: [BrokerSource], conninfo: String, logger: Logger, statsInterval: Duration = .seconds(30), batchSize: Int = 5000, alone: Bool = false,
        storingSessions: Int = 2, onReady: @escaping @Sendable () -> Void = {}
    ) {
        pollers = sources.map {
            BrokerPoller(source: $0, conninfo: conninfo, logger: logger, batchSize: batchSize, alone: alone, storingSessions: storingSessions)
        }
        self.logger = logger
        self.statsInterval = statsInterval
        self.onReady = onReady
    }

    /// Each broker's part of `/ready`: its share of partitions received (which needs Kafka
    /// reachable; an idle replica's share is none), and the last session's error if it failed.
    public var brokerReadiness: [(name: String, ok: Bool, detail: String)] {
        pollers.map { poller in
            let stats = poller.stats
            let refused = poller.refusedPartitions
            if !refused.isEmpty {
                let named = refused.sorted { ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition) }
                    .map { "\($0.key.topic)[\($0.key.partition)]: \($0.value)" }.joined(separator: "; ")
                return ("broker " + poller.source.name, false, "partitions refused (see broker-poll reset-offsets): " + named)
            }
            if poller.hasAssignment { return ("broker " + poller.source.name, true, "partitions assigned") }
            if poller.hasJoinedGroup {
                return ("broker " + poller.source.name, true, "in its group with no partition assigned (more replicas than partitions): idle")
            }
            return ("broker " + poller.source.name, false, "no partitions assigned" + (stats.lastError.map { "; last error: \($0)" } ?? ""))
        }
    }

    /// The longest any broker's loop has gone without going round.
    public var lastProgress: ContinuousClock.Instant {
        pollers.map(\.lastProgress).min() ?? .now
    }

    public func run() async {
        let (assignments, assigned) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        await withTaskGroup(of: Void.self) { watchers in
            watchers.addTask { [pollers, onReady] in
                for await _ in assignments where pollers.allSatisfy({ $0.hasAssignment || $0.hasJoinedGroup }) {
                    onReady()
                    return
                }
            }
            watchers.addTask { await report() }
            // The pollers end with graceful shutdown; the watcher and the reports with them.
            await withTaskGroup(of: Void.self) { group in
                for poller in pollers {
                    group.addTask { await poller.run(onAssigned: { assigned.yield() }) }
                }
            }
            assigned.finish()
            watchers.cancelAll()
        }
    }

    /// Lag gauges every second (from the fetches' cached watermarks: no request to Kafka), and a
    /// statistics line per broker every interval.
    private func report() async {
        let clock = ContinuousClock()
        var next = clock.now + statsInterval
        while !BrokerPoller.stopping {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            for poller in pollers { _ = poller.measureLag() }
            guard clock.now >= next else { continue }
            next = clock.now + statsInterval
            for poller in pollers {
                let lag = poller.measureLag()
                let stats = poller.stats
                logger.info(
                    "broker-poll statistics",
                    metadata: [
                        "broker": "\(poller.source.name)", "messages": "\(stats.messages)", "rows": "\(stats.messages)",
                        "classifiers.added": "\(stats.classifiersAdded)", "dead.letters": "\(stats.deadLetters)",
                        "lag": "\(lag.map(String.init) ?? "unknown")", "restarts": "\(stats.restarts)",
                        "error": "\(stats.lastError ?? "none")",
                    ])
            }
        }
    }
}
