import Foundation
import JSON
import Postgres

/// Runs `db/runsqlquery/` requests safely: each request on a new connection as a role that can
/// only read (`QueryRole`), every statement through `StatementGate` and with bind parameters,
/// in one transaction that is always rolled back, cut off after `timeout` (by the server's
/// `statement_timeout` and, whatever the session does to that, by a cancel from here), and
/// with at most `rowLimit` rows returned. Closing the connection afterwards drops the caller's
/// temporary tables and any advisory lock taken.
public struct ReadOnlyQueryRunner: Sendable {
    public var conninfo: String
    public var timeout: Duration
    public var rowLimit: Int
    public var lockTimeout: Duration = .seconds(10)

    public init(conninfo: String, timeout: Duration = .seconds(300), rowLimit: Int = 100_000) {
        self.conninfo = conninfo
        self.timeout = timeout
        self.rowLimit = rowLimit
    }

    /// What a request comes to: the answer's JSON, and whether it is an error.
    public struct Answer: Sendable {
        public var json: [UInt8]
        public var isError: Bool

        static func error(_ message: String) -> Answer {
            Answer(json: JSONValue.object([("status", .string("error")), ("error", .string(message))]).serialized, isError: true)
        }
    }

    struct TimedOut: Error {}

    public func run(_ request: SQLQueryRequest) async -> Answer {
        var prepared: [(query: PostgresQuery, kind: StatementGate.Kind)] = []
        do {
            for (index, statement) in request.statements.enumerated() {
                let kind = try StatementGate.check(statement.sql, number: index + 1)
                prepared.append((try PlaceholderTranslator.translate(statement.sql, values: statement.values), kind))
            }
        } catch let error as StatementGate.Refused {
            return .error(error.description)
        } catch let error as PlaceholderTranslator.Invalid {
            return .error(error.description)
        } catch {
            return .error("\(error)")
        }
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.open(conninfo, applicationName: "elasticc-api runsqlquery")
        } catch {
            return .error("can't reach the database: \(error.message)")
        }
        let statements = prepared
        let limit = rowLimit
        let settings = sessionSettings
        do {
            return try await withThrowingTaskGroup(of: Answer?.self) { group in
                group.addTask {
                    try await connection.run { connection in Self.execute(statements, settings: settings, rowLimit: limit, on: connection) }
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                guard let first else { throw TimedOut() }
                return first
            }
        } catch {
            return .error("the query ran longer than \(timeout.components.seconds) s and was cancelled")
        }
    }

    private var sessionSettings: [String] {
        let milliseconds = { (duration: Duration) in duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000 }
        return [
            "SET LOCAL statement_timeout = \(milliseconds(timeout))", "SET LOCAL lock_timeout = \(milliseconds(lockTimeout))",
            "SET LOCAL TimeZone = 'UTC'",
        ]
    }

    /// The blocking part, on the connection's thread. The transaction is rolled back whatever
    /// happens, and the connection is closed when the caller lets it go.
    static func execute(
        _ statements: [(query: PostgresQuery, kind: StatementGate.Kind)], settings: [String], rowLimit: Int, on connection: PostgresConnection
    ) -> Answer {
        do {
            try connection.query("BEGIN", statement: "begin")
            defer { _ = try? connection.query("ROLLBACK", statement: "rollback") }
            for setting in settings { try connection.query(PostgresQuery(unescaped: setting), statement: "limit the session") }
            var writer = JSONWriter(reservingCapacity: 4096)
            writer.beginObject()
            writer.key("status")
            writer.string("ok")
            writer.key("rows")
            writer.beginArray()
            for (index, statement) in statements.enumerated() {
                let isLast = index == statements.count - 1
                let label = "query \(index + 1)"
                if statement.kind == .query, !Self.selectsInto(statement.query.sql) {
                    // A cursor: rows come in pages, and no more than the limit are read.
                    try connection.query(
                        PostgresQuery(
                            sql: "DECLARE elasticc_query_rows NO SCROLL CURSOR FOR " + statement.query.sql, bindings: statement.query.bindings),
                        statement: label)
                    if isLast {
                        var returned = 0
                        while true {
                            let page = try connection.query("FETCH FORWARD 1000 FROM elasticc_query_rows", statement: label)
                            returned += page.rowCount
                            guard returned <= rowLimit else {
                                return .error("\(label) returns more than \(rowLimit) rows, the limit here: add a LIMIT or narrow the WHERE")
                            }
                            SQLRowEncoder(page).write(page, into: &writer)
                            if page.rowCount < 1000 { break }
                        }
                    } else {
                        try connection.query("MOVE FORWARD ALL IN elasticc_query_rows", statement: label)
                    }
                    try connection.query("CLOSE elasticc_query_rows", statement: label)
                } else {
                    let result = try connection.query(statement.query, statement: label)
                    if isLast {
                        guard result.rowCount <= rowLimit else {
                            return .error("\(label) returns more than \(rowLimit) rows, the limit here: add a LIMIT or narrow the WHERE")
                        }
                        SQLRowEncoder(result).write(result, into: &writer)
                    }
                }
            }
            writer.endArray()
            writer.endObject()
            return Answer(json: writer.bytes, isError: false)
        } catch {
            if error.isCancellation { return .error("the query was cancelled (statement timeout)") }
            return .error("\(error.statement): \(error.message)")
        }
    }

    /// What is wrong with the role `conninfo` logs in as, for a service that lets anyone with an
    /// account run SQL: a superuser, a role that can write a table of the schema, or one that
    /// can read the accounts or login sessions. Empty when it is fit.
    public func roleProblems(privateTables: [String]) async throws -> [String] {
        let connection = try await PostgresConnection.open(conninfo, applicationName: "elasticc-api runsqlquery check")
        return try await connection.run { connection in
            let role = try connection.query(
                """
                SELECT current_user, rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication,
                       (SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
                           AND (has_table_privilege(c.oid, 'INSERT') OR has_table_privilege(c.oid, 'UPDATE')
                                OR has_table_privilege(c.oid, 'DELETE') OR has_table_privilege(c.oid, 'TRUNCATE'))),
                       (SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') AND c.relname LIKE ANY(\(privateTables))
                           AND has_table_privilege(c.oid, 'SELECT'))
                  FROM pg_roles WHERE rolname = current_user
                """, statement: "check the query role")
            let (name, powerful, writable, secret) = try role.single((String, Bool, String?, String?).self)
            var problems: [String] = []
            if powerful {
                problems.append("role \(name) is a superuser or may create roles, databases or bypass security")
            }
            if let writable { problems.append("role \(name) may write to \(writable)") }
            if let secret { problems.append("role \(name) may read \(secret)") }
            return problems
        }
    }

    /// `SELECT … INTO t` makes a table and can't be a cursor; it runs as a plain statement.
    static func selectsInto(_ sql: String) -> Bool {
        sql.range(of: #"\binto\b"#, options: [.regularExpression, .caseInsensitive]) != nil
    }
}
