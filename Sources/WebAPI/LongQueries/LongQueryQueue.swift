import Foundation
import JSON
import Postgres
import TOMDatabase

/// The long-query queue in PostgreSQL (`elasticcstream_long_query`), shared by every
/// `elasticc-api serve` on the database. A worker claims a query by taking a session advisory
/// lock on it and marking it started; the lock lives as long as the worker's session, so a
/// started query whose lock is free belongs to a server that died, and is run again (once: a
/// query whose server died twice is marked failed, in case it is what kills them).
enum LongQueryQueue {
    static let table = OwnTables.longQuery
    /// Runs a query gets before it is given up on when its servers keep dying under it.
    static let maximumAttempts = 2
    /// The first key of the advisory locks (the second is the query id's hash).
    static let lockClass: Int32 = 0x4C_51_52_59  // "LQRY"

    struct Job: Sendable {
        var id: String
        var userId: Int32
        var username: String
        var adminScope: Bool
        var request: SQLQueryRequest
        var format: PandasResultFiles.Format
        var attempt: Int
    }

    /// What `db/checksqlquery/` shows of a query.
    struct Status: Sendable {
        var id: String
        var queries: [String]
        var subdicts: JSONValue
        var submitted: String
        var started: String?
        var finished: String?
        var error: Bool
        var errorText: String?
        var format: PandasResultFiles.Format

        enum State: String { case queued, started, finished, error }

        var state: State {
            if error { return .error }
            if finished != nil { return .finished }
            return started != nil ? .started : .queued
        }

        /// The TOM's answer: the query, then its state's times (ISO 8601 with an offset).
        var json: JSONValue {
            var members: [(String, JSONValue)] = [
                ("queryid", .string(id)), ("queries", .array(queries.map(JSONValue.string))), ("subdicts", subdicts),
                ("submitted", .string(submitted)), ("status", .string(state.rawValue)),
            ]
            if let started { members.append(("started", .string(started))) }
            if let finished { members.append(("finished", .string(finished))) }
            if error { members.append(("error", .string(errorText ?? ""))) }
            return .object(members)
        }
    }

    struct TooManyQueued: Error {}

    /// Queues `request` for `user`; refuses past `limit` unfinished queries of theirs.
    static func submit(
        _ request: SQLQueryRequest, format: PandasResultFiles.Format, user: TOMUser, limit: Int, on connection: PostgresConnection
    ) throws -> String {
        let id = UUID().uuidString.lowercased()
        let queries = request.statements.map(\.sql)
        let subdicts = JSONValue.array(request.statements.map { .object($0.values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }) })
        let inserted = try connection.query(
            """
            INSERT INTO public.\(unescaped: table) (queryid, user_id, admin_scope, queries, subdicts, format)
            SELECT \(id)::uuid, \(user.id), \(user.isElasticcAdmin), \(queries), \(String(decoding: subdicts.serialized, as: UTF8.self))::jsonb,
                   \(format.rawValue)
             WHERE (SELECT count(*) FROM public.\(unescaped: table) WHERE user_id = \(user.id) AND finished IS NULL) < \(Int64(limit))
            """, statement: "queue a long query")
        guard inserted.affectedRows == 1 else { throw TooManyQueued() }
        return id
    }

    /// The query if `user` may see it (their own; a superuser's, any).
    static func status(of id: String, for user: TOMUser, on connection: PostgresConnection) throws -> Status? {
        guard UUID(uuidString: id) != nil else { return nil }
        let result = try connection.query(
            """
            SELECT queryid::text, queries, subdicts::text, submitted::text, started::text, finished::text, error, errortext, format
              FROM public.\(unescaped: table) WHERE queryid = \(id)::uuid AND (user_id = \(user.id) OR \(user.isSuperuser))
            """, statement: "look up a long query")
        guard result.rowCount == 1 else { return nil }
        let (queryId, queriesText, subdictsText, submitted, started, finished, error, errorText, format) = try result.single(
            (String, String, String, String, String?, String?, Bool, String?, String).self)
        let queries = PostgresArrayText.flat(queriesText.utf8) { $0 } ?? []
        return Status(
            id: queryId, queries: queries, subdicts: (try? JSONValue.parse(Array(subdictsText.utf8))) ?? .array([]),
            submitted: isoformat(submitted), started: started.map(isoformat), finished: finished.map(isoformat), error: error,
            errorText: errorText, format: PandasResultFiles.Format(rawValue: format) ?? .csv)
    }

    /// Python's `isoformat()` of a timestamptz PostgreSQL printed in UTC.
    static func isoformat(_ text: String) -> String {
        guard let parts = PythonValue.dateTime(text, zoned: true) else { return text }
        return PythonValue.isoDateTime(parts, separator: "T") + "+00:00"
    }

    /// Claims the oldest query nobody runs, on `connection`, whose session then holds the
    /// query's lock until `release` — or until it dies, which frees the query for another run.
    static func claim(runner: String, on connection: PostgresConnection) throws -> Job? {
        try connection.query("BEGIN", statement: "claim a long query")
        defer { if connection.transactionStatus != .idle { _ = try? connection.query("ROLLBACK", statement: "claim a long query") } }
        let candidates = try connection.query(
            """
            SELECT q.queryid::text, q.user_id, u.username, q.admin_scope, q.queries, q.subdicts::text, q.format, q.attempts, q.started IS NOT NULL
              FROM public.\(unescaped: table) q JOIN public.auth_user u ON u.id = q.user_id
             WHERE q.finished IS NULL ORDER BY q.submitted LIMIT 50 FOR UPDATE OF q SKIP LOCKED
            """, statement: "claim a long query")
        for row in candidates.rows {
            let (id, userId, username, adminScope, queriesText, subdictsText, format, attempts, wasStarted) = try row.decode(
                (String, Int32, String, Bool, String, String, String, Int, Bool).self)
            let locked = try connection.query(
                "SELECT pg_try_advisory_lock(\(lockClass), hashtext(\(id)))", statement: "claim a long query")
            guard try locked.single(Bool.self) else { continue }  // running on a live server
            if wasStarted, attempts >= maximumAttempts {
                try connection.query(
                    """
                    UPDATE public.\(unescaped: table) SET finished = clock_timestamp(), error = true,
                           errortext = \("the server running this query stopped \(attempts) times while it ran; it is not run again")
                     WHERE queryid = \(id)::uuid
                    """, statement: "give up a long query")
                try unlock(id, on: connection)
                continue
            }
            try connection.query(
                """
                UPDATE public.\(unescaped: table) SET started = clock_timestamp(), attempts = attempts + 1, runner = \(runner)
                 WHERE queryid = \(id)::uuid
                """, statement: "claim a long query")
            try connection.query("COMMIT", statement: "claim a long query")
            let queries = PostgresArrayText.flat(queriesText.utf8) { $0 } ?? []
            let subdicts = (try? JSONValue.parse(Array(subdictsText.utf8))) ?? .array([])
            let request = try SQLQueryRequest(.object([("query", .array(queries.map(JSONValue.string))), ("subdict", subdicts)]))
            return Job(
                id: id, userId: userId, username: username, adminScope: adminScope, request: request,
                format: PandasResultFiles.Format(rawValue: format) ?? .csv, attempt: attempts + 1)
        }
        try connection.query("COMMIT", statement: "claim a long query")
        return nil
    }

    /// Ends a claimed run: finished (with the result's size), failed (with why), or put back in
    /// the queue (a server stopping); a run that is no longer the query's latest changes nothing.
    enum Outcome {
        case finished(resultBytes: Int64)
        case failed(String)
        case requeued
    }

    @discardableResult
    static func end(_ job: Job, _ outcome: Outcome, on connection: PostgresConnection) throws -> Bool {
        let changed: PostgresResult
        switch outcome {
        case .finished(let bytes):
            changed = try connection.query(
                """
                UPDATE public.\(unescaped: table) SET finished = clock_timestamp(), result_bytes = \(bytes)
                 WHERE queryid = \(job.id)::uuid AND attempts = \(job.attempt) AND finished IS NULL
                """, statement: "finish a long query")
        case .failed(let text):
            changed = try connection.query(
                """
                UPDATE public.\(unescaped: table) SET finished = clock_timestamp(), error = true, errortext = \(text)
                 WHERE queryid = \(job.id)::uuid AND attempts = \(job.attempt) AND finished IS NULL
                """, statement: "fail a long query")
        case .requeued:
            changed = try connection.query(
                """
                UPDATE public.\(unescaped: table) SET started = NULL, attempts = attempts - 1, runner = NULL
                 WHERE queryid = \(job.id)::uuid AND attempts = \(job.attempt) AND finished IS NULL
                """, statement: "put a long query back")
        }
        try unlock(job.id, on: connection)
        return changed.affectedRows == 1
    }

    private static func unlock(_ id: String, on connection: PostgresConnection) throws {
        try connection.query("SELECT pg_advisory_unlock(\(lockClass), hashtext(\(id)))", statement: "release a long query")
    }

    /// Forgets queries finished more than `days` ago; returns their ids (their files go too).
    static func prune(olderThanDays days: Double, on connection: PostgresConnection) throws -> [String] {
        let pruned = try connection.query(
            """
            DELETE FROM public.\(unescaped: table) WHERE finished < clock_timestamp() - make_interval(secs => \(days * 86_400))
            RETURNING queryid::text
            """, statement: "prune long queries")
        return try pruned.rows.map { try $0.decode(String.self) }
    }
}
