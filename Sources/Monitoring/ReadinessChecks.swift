import Postgres

/// Checks the tools' `/ready` share.
public enum ReadinessChecks {
    /// Whether the database answers `SELECT 1` on a new connection within `timeout`.
    public static func database(conninfo: String, timeout: Duration = .seconds(3)) async -> (name: String, ok: Bool, detail: String) {
        do {
            return try await withThrowingTaskGroup(of: (name: String, ok: Bool, detail: String).self) { group in
                group.addTask {
                    let connection = try await PostgresConnection.open(conninfo, applicationName: "elasticc readiness")
                    try await connection.query("SELECT 1", statement: "readiness")
                    return ("database", true, "answers")
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return ("database", false, "no answer within \(timeout)")
                }
                let first = try await group.next() ?? ("database", false, "no answer")
                group.cancelAll()
                return first
            }
        } catch {
            return ("database", false, "\(error)")
        }
    }
}
