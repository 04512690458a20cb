import Synchronization

/// What one `db/runsqlquery/` request may use (`elasticc-api serve --sql-*` flags).
public struct SQLQueryLimits: Sendable {
    /// Rows the last statement may return.
    public var rows = 100_000
    /// Bytes of the JSON answer.
    public var answerBytes = 64 << 20
    /// Bytes of the request's SQL once `%(name)s` placeholders are expanded (lists become one
    /// parameter per element, every time the placeholder is used).
    public var expandedSQLBytes = 1 << 20
    /// Requests running at once for one user, and for everyone.
    public var concurrentPerUser = 2
    public var concurrentOverall = 8
    /// Bytes the request's temporary tables may hold after any statement (PostgreSQL's
    /// `temp_file_limit` does not count them).
    public var temporaryTableBytes = 1 << 30
    /// `work_mem` of the request's transaction.
    public var workMemoryKilobytes = 65_536
    /// Rows are fetched in pages of about this many bytes.
    static let pageBytes = 1 << 20

    public init() {}
}

/// Counts the requests running, per user and in all, and turns away those over the limits.
final class QueryAdmission: Sendable {
    struct Ticket {
        var user: String
    }

    private let perUser: Int
    private let overall: Int
    private let running = Mutex<(total: Int, byUser: [String: Int])>((0, [:]))

    init(perUser: Int, overall: Int) {
        self.perUser = perUser
        self.overall = overall
    }

    func admit(user: String) -> Ticket? {
        running.withLock { running in
            guard running.total < overall, running.byUser[user, default: 0] < perUser else { return nil }
            running.total += 1
            running.byUser[user, default: 0] += 1
            return Ticket(user: user)
        }
    }

    func release(_ ticket: Ticket) {
        running.withLock { running in
            running.total -= 1
            running.byUser[ticket.user, default: 1] -= 1
            if running.byUser[ticket.user] == 0 { running.byUser[ticket.user] = nil }
        }
    }
}
