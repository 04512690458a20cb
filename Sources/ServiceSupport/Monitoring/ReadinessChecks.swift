import BlockingWork
import Dispatch
import Postgres
import Synchronization

/// Checks the tools' `/ready` share.
public enum ReadinessChecks {
    public typealias Check = (name: String, ok: Bool, detail: String)

    /// Whether the database answers `SELECT 1` on a new connection within `timeout`. The answer
    /// comes by then whatever the server does: libpq's own connect timeout ends a connection
    /// attempt to a server that accepts and never speaks, and the check does not wait for
    /// blocking work it has given up on.
    public static func database(conninfo: String, timeout: Duration = .seconds(3)) async -> Check {
        let pending = Mutex<CheckedContinuation<Check, Never>?>(nil)
        @Sendable func finish(_ check: Check) {
            pending.withLock { $0.take() }?.resume(returning: check)
        }
        return await withCheckedContinuation { continuation in
            pending.withLock { $0 = continuation }
            BlockingExecutor(label: "readiness check").execute {
                do {
                    let connection = try PostgresConnection(conninfo, applicationName: "elasticc readiness", connectTimeout: timeout)
                    try connection.query("SELECT 1", statement: "readiness")
                    finish(("database", true, "answers"))
                } catch {
                    finish(("database", false, "\(error)"))
                }
            }
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                finish(("database", false, "no answer within \(timeout)"))
            }
        }
    }
}
