import Logging
import Postgres

/// Runs `body`; when the connection was lost, reconnects (waiting 1, 2, 4, … s, up to a minute
/// in all) and runs it again. Every statement of the sender may simply be repeated.
func retryingOnConnectionLoss<T: Sendable>(
    logger: Logger, reconnect: () async throws -> Void, operation: () async throws -> T
) async throws -> T {
    var delay = 1.0
    var waited = 0.0
    while true {
        do {
            return try await operation()
        } catch let error as PostgresError where error.isConnectionLoss && waited < 60 {
            logger.warning("Lost the database connection; reconnecting", metadata: ["error": "\(error)", "retry.in": "\(delay)s"])
            try await Task.sleep(for: .seconds(delay))
            waited += delay
            delay = min(delay * 2, 16)
            try? await reconnect()
        }
    }
}
