import Logging
import Postgres
import ServiceLifecycle

/// Keeps the diagnostic pages' nightly sums up with the message table in the background, so a
/// page view never waits for more than the last minutes of messages: elasticc-api's background
/// job, until graceful shutdown.
public struct PageSumsRefresher: Service {
    let pool: PostgresPool
    let settleSeconds: Int
    let interval: Duration
    let logger: Logger

    // Every 10 s: during a night's ingest each pass sums what came meanwhile (10 µs a message).
    public init(pool: PostgresPool, settleSeconds: Int, interval: Duration = .seconds(10), logger: Logger) {
        self.pool = pool
        self.settleSeconds = settleSeconds
        self.interval = interval
        self.logger = logger
    }

    public func run() async {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                // A stop signal cancels a long catch-up's statement: it rolls back, and the next
                // start sums from where the last committed refresh ended.
                try await cancelWhenGracefulShutdown { try await refreshAll() }
            } catch {
                if Task.isShuttingDownGracefully {
                    logger.info("Summing broker messages for the pages stopped for shutdown")
                } else {
                    logger.warning("Summing broker messages for the pages failed; will retry", metadata: ["error": "\(error)"])
                }
            }
            try? await cancelWhenGracefulShutdown { [interval] in try await Task.sleep(for: interval) }
        }
    }

    /// One pass over the whole backlog: a first catch-up (from 0) needs no look-back. Each
    /// refresh is a transaction of its own.
    private func refreshAll() async throws {
        try await pool.withConnection { connection in
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                let settle = settleSeconds
                let advanced = try await connection.run { connection in
                    try StreamSummary.refresh(settleSeconds: settle, limit: .max / 2, on: connection)
                }
                if advanced == 0 { return }
            }
        }
    }
}
