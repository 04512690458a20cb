import Foundation
import Logging

/// Runs one poller per broker side by side and reports on each every interval.
public struct BrokerPollService: Sendable {
    public let pollers: [BrokerPoller]
    let logger: Logger
    let statsInterval: Duration

    /// `alone`: this is the only broker-poll of its groups, so each takes its partitions directly;
    /// `storingSessions`: each broker's database sessions storing batches side by side.
    public init(
        sources: [BrokerSource], conninfo: String, logger: Logger, statsInterval: Duration = .seconds(30), batchSize: Int = 5000, alone: Bool = false,
        storingSessions: Int = 2
    ) {
        pollers = sources.map {
            BrokerPoller(source: $0, conninfo: conninfo, logger: logger, batchSize: batchSize, alone: alone, storingSessions: storingSessions)
        }
        self.logger = logger
        self.statsInterval = statsInterval
    }

    /// Each broker's part of `/ready`: partitions assigned (which needs Kafka reachable), and
    /// the last session's error if it failed.
    public var brokerReadiness: [(name: String, ok: Bool, detail: String)] {
        pollers.map { poller in
            let stats = poller.stats
            if poller.hasAssignment { return ("broker " + poller.source.name, true, "partitions assigned") }
            return ("broker " + poller.source.name, false, "no partitions assigned" + (stats.lastError.map { "; last error: \($0)" } ?? ""))
        }
    }

    /// Runs every poller until `shouldStop`; `onReady` once every broker has partitions assigned.
    public func run(shouldStop: @escaping @Sendable () -> Bool, onReady: @escaping @Sendable () -> Void = {}) async {
        await withTaskGroup(of: Void.self) { group in
            for poller in pollers {
                group.addTask { await poller.run(shouldStop: shouldStop) }
            }
            group.addTask { [pollers, logger, statsInterval] in
                let clock = ContinuousClock()
                var next = clock.now + statsInterval
                var nextLag = clock.now
                while !shouldStop() {
                    try? await Task.sleep(for: .milliseconds(100))
                    if pollers.allSatisfy(\.hasAssignment) { onReady() }
                    // The lag gauges follow the fetches (cached watermarks: no request to Kafka).
                    if clock.now >= nextLag {
                        nextLag = clock.now + .seconds(1)
                        for poller in pollers { _ = poller.measureLag() }
                    }
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
    }
}
