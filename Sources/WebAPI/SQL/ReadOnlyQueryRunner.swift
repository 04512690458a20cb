import Foundation
import JSON
import Postgres

/// Runs `db/runsqlquery/` requests safely: each request on a new connection as a role that can
/// only read (`QueryRole`), named after its user in `application_name`; every statement through
/// `StatementGate` and with bind parameters; in one transaction, read-only unless the request
/// works on temporary tables, that is always rolled back and must still be open after every
/// statement (a statement that ends it ends the request and the session); cut off after
/// `timeout` (by the server's `statement_timeout` and, whatever the session does to that, by a
/// cancel from here); every row-returning statement read through a cursor, with at most
/// `limits.rows` rows and `limits.answerBytes` bytes returned. Closing the connection afterwards
/// drops the caller's temporary tables.
public struct ReadOnlyQueryRunner: Sendable {
    public var conninfo: String
    public var timeout: Duration
    public var limits: SQLQueryLimits
    public var lockTimeout: Duration = .seconds(10)
    private let admission: QueryAdmission

    public init(conninfo: String, timeout: Duration = .seconds(300), limits: SQLQueryLimits = SQLQueryLimits()) {
        self.conninfo = conninfo
        self.timeout = timeout
        self.limits = limits
        admission = QueryAdmission(perUser: limits.concurrentPerUser, overall: limits.concurrentOverall)
    }

    /// What a request comes to: the answer's JSON, whether it is an error, and whether it was
    /// turned away before running because too many queries are running.
    public struct Answer: Sendable {
        public var json: [UInt8]
        public var isError: Bool
        public var isTooManyQueries = false

        static func error(_ message: String) -> Answer {
            Answer(json: JSONValue.object([("status", .string("error")), ("error", .string(message))]).serialized, isError: true)
        }
    }

    struct TimedOut: Error {}

    /// Why a request was turned away before it reached the database.
    struct Refusal: Error {
        var message: String
    }

    typealias PreparedStatement = (query: PostgresQuery, kind: StatementGate.Kind)

    /// Each statement through the gate and with its placeholders bound; the refusal's text otherwise.
    func prepare(_ request: SQLQueryRequest) -> Result<[PreparedStatement], Refusal> {
        var prepared: [PreparedStatement] = []
        do {
            var expandedBytes = 0
            for (index, statement) in request.statements.enumerated() {
                let kind = try StatementGate.check(statement.sql, number: index + 1)
                let query = try PlaceholderTranslator.translate(
                    statement.sql, values: statement.values, byteLimit: limits.expandedSQLBytes - expandedBytes)
                expandedBytes += query.sql.utf8.count
                prepared.append((query, kind))
            }
        } catch let error as StatementGate.Refused {
            return .failure(Refusal(message: error.description))
        } catch let error as PlaceholderTranslator.Invalid {
            return .failure(Refusal(message: error.description))
        } catch {
            return .failure(Refusal(message: "\(error)"))
        }
        return .success(prepared)
    }

    public func run(_ request: SQLQueryRequest, user: String) async -> Answer {
        let prepared: [PreparedStatement]
        switch prepare(request) {
        case .success(let statements): prepared = statements
        case .failure(let refusal): return .error(refusal.message)
        }
        guard let ticket = admission.admit(user: user) else {
            var answer = Answer.error(
                "too many queries running: at most \(limits.concurrentPerUser) per user and \(limits.concurrentOverall) in all; try again when yours have finished"
            )
            answer.isTooManyQueries = true
            return answer
        }
        defer { admission.release(ticket) }
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.open(conninfo, applicationName: "runsqlquery \(user)")
        } catch {
            return .error("can't reach the database: \(error.message)")
        }
        defer { connection.close() }
        let statements = prepared
        let limits = self.limits
        let settings = Self.sessionSettings(timeout: timeout, lockTimeout: lockTimeout, limits: limits)
        let timeout = self.timeout
        do {
            return try await withThrowingTaskGroup(of: Answer?.self) { group in
                group.addTask {
                    try await connection.run { connection in Self.execute(statements, settings: settings, limits: limits, on: connection) }
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

    /// Settings of the request's transaction, pinned: the role may not change any (it has no
    /// `SET` past the gate and no `set_config`). A client that goes away ends the statement
    /// within seconds (`client_connection_check_interval`).
    static func sessionSettings(timeout: Duration, lockTimeout: Duration, limits: SQLQueryLimits) -> [String] {
        let milliseconds = { (duration: Duration) in duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000 }
        return [
            "SET LOCAL statement_timeout = \(milliseconds(timeout))", "SET LOCAL lock_timeout = \(milliseconds(lockTimeout))",
            "SET LOCAL idle_in_transaction_session_timeout = \(milliseconds(timeout))", "SET LOCAL TimeZone = 'UTC'",
            "SET LOCAL work_mem = '\(limits.workMemoryKilobytes)kB'", "SET LOCAL client_connection_check_interval = 2000",
        ]
    }

    /// The blocking part, on the connection's thread. The transaction is rolled back whatever
    /// happens, and the connection is closed when the caller lets it go.
    static func execute(_ statements: [PreparedStatement], settings: [String], limits: SQLQueryLimits, on connection: PostgresConnection) -> Answer {
        do {
            let writes = statements.contains { $0.kind.writes }
            try connection.query(writes ? "BEGIN" : "BEGIN READ ONLY", statement: "begin")
            defer { if connection.transactionStatus != .idle { _ = try? connection.query("ROLLBACK", statement: "rollback") } }
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
                if statement.kind == .query {
                    // A cursor: rows come in pages, and no more than the limits are read.
                    try connection.query(
                        PostgresQuery(
                            sql: "DECLARE elasticc_query_rows NO SCROLL CURSOR FOR " + statement.query.sql, bindings: statement.query.bindings),
                        statement: label)
                    try requireOurTransaction(connection, after: label)
                    if isLast {
                        if let refusal = try fetchRows(label: label, limits: limits, on: connection, into: &writer) { return refusal }
                    } else {
                        try connection.query("MOVE FORWARD ALL IN elasticc_query_rows", statement: label)
                    }
                    try connection.query("CLOSE elasticc_query_rows", statement: label)
                } else {
                    // No rows but a few (EXPLAIN, SHOW), or none (the gate refuses RETURNING).
                    let result = try connection.query(statement.query, statement: label)
                    try requireOurTransaction(connection, after: label)
                    if isLast {
                        guard result.rowCount <= limits.rows else { return tooManyRows(label, limits) }
                        SQLRowEncoder(result).write(result, into: &writer)
                    }
                }
                if writes, let refusal = try temporaryTablesWithinLimit(label: label, limits: limits, on: connection) { return refusal }
            }
            writer.endArray()
            writer.endObject()
            guard writer.bytes.count <= limits.answerBytes else { return tooManyBytes(limits) }
            return Answer(json: writer.bytes, isError: false)
        } catch let breach as TransactionLeft {
            connection.close()
            return .error(breach.description)
        } catch let error as PostgresError {
            if error.isCancellation { return .error("the query was cancelled (statement timeout)") }
            return .error("\(error.statement): \(error.message)")
        } catch {
            return .error("\(error)")
        }
    }

    /// The request's temporary tables, measured after each statement of a request that makes
    /// them; a statement is bounded by the timeout alone while it runs.
    private static func temporaryTablesWithinLimit(label: String, limits: SQLQueryLimits, on connection: PostgresConnection) throws -> Answer? {
        let bytes = try connection.query(
            "SELECT coalesce(sum(pg_total_relation_size(oid)), 0)::bigint FROM pg_class WHERE relnamespace = pg_my_temp_schema()",
            statement: label
        ).value(0, 0, as: Int.self)
        guard bytes > limits.temporaryTableBytes else { return nil }
        return .error(
            "\(label): the temporary tables hold \(bytes) bytes, more than the \(limits.temporaryTableBytes) allowed here: keep fewer rows in them")
    }

    /// Reads the cursor's rows in pages of about `pageBytes`, so that wide rows come a few at a
    /// time: the first page is one row, and pages grow as the rows prove narrow.
    private static func fetchRows(label: String, limits: SQLQueryLimits, on connection: PostgresConnection, into writer: inout JSONWriter) throws
        -> Answer?
    {
        var returned = 0
        var pageRows = 1
        while true {
            let page = try connection.query(PostgresQuery(unescaped: "FETCH FORWARD \(pageRows) FROM elasticc_query_rows"), statement: label)
            returned += page.rowCount
            guard returned <= limits.rows else { return tooManyRows(label, limits) }
            let before = writer.bytes.count
            SQLRowEncoder(page).write(page, into: &writer)
            guard writer.bytes.count <= limits.answerBytes else { return tooManyBytes(limits) }
            if page.rowCount < pageRows { return nil }
            let bytesPerRow = max(1, (writer.bytes.count - before) / max(1, page.rowCount))
            pageRows = max(1, min(1000, pageRows * 8, SQLQueryLimits.pageBytes / bytesPerRow))
        }
    }

    private static func tooManyRows(_ label: String, _ limits: SQLQueryLimits) -> Answer {
        .error("\(label) returns more than \(limits.rows) rows, the limit here: add a LIMIT or narrow the WHERE")
    }

    private static func tooManyBytes(_ limits: SQLQueryLimits) -> Answer {
        .error("the answer is larger than \(limits.answerBytes) bytes, the limit here: select fewer rows or columns")
    }

    /// A statement that ended or left the request's transaction (however it got past the gate).
    struct TransactionLeft: Error, CustomStringConvertible {
        var label: String
        var description: String { "\(label) ended the request's transaction; the request was stopped and its session closed" }
    }

    static func requireOurTransaction(_ connection: PostgresConnection, after label: String) throws(TransactionLeft) {
        guard connection.transactionStatus == .inTransaction else { throw TransactionLeft(label: label) }
    }

    /// What is wrong with the role `conninfo` logs in as, for a service that lets anyone with an
    /// account run SQL: a superuser or a role with other powers, a member of another role, one
    /// with no connection limit, one that can write a table or sequence or create objects in any
    /// schema, read the accounts or login sessions, or run a function of
    /// `QueryRole.guardedFunctionsCondition`. Empty when it is fit.
    /// `readablePatterns`: LIKE patterns of the only public tables the role may read (nil: any but `privateTables`).
    public func roleProblems(privateTables: [String], readablePatterns: [String]? = nil, guardedFunctionsCondition: String) async throws -> [String] {
        let connection = try await PostgresConnection.open(conninfo, applicationName: "elasticc-api runsqlquery check")
        defer { connection.close() }
        return try await connection.run { connection in
            let role = try connection.query(
                """
                SELECT current_user, rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication, rolconnlimit,
                       (SELECT string_agg(g.rolname, ', ' ORDER BY g.rolname) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                         WHERE m.member = r.oid),
                       (SELECT string_agg(n.nspname || '.' || c.relname, ', ' ORDER BY n.nspname, c.relname)
                          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_temp\\_%'
                           AND n.nspname NOT LIKE 'pg\\_toast%' AND c.relkind IN ('r', 'p', 'S')
                           AND (has_table_privilege(c.oid, 'INSERT') OR has_table_privilege(c.oid, 'UPDATE')
                                OR has_table_privilege(c.oid, 'DELETE') OR has_table_privilege(c.oid, 'TRUNCATE')
                                OR (c.relkind = 'S' AND has_sequence_privilege(c.oid, 'USAGE')))),
                       (SELECT string_agg(n.nspname, ', ' ORDER BY n.nspname) FROM pg_namespace n
                         WHERE n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
                           AND has_schema_privilege(n.oid, 'CREATE')),
                       (SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') AND c.relname LIKE ANY(\(privateTables))
                           AND has_table_privilege(c.oid, 'SELECT')),
                       (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                         WHERE \(unescaped: guardedFunctionsCondition) AND has_function_privilege(p.oid, 'EXECUTE')),
                       (SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') AND \(readablePatterns)::text[] IS NOT NULL
                           AND NOT c.relname LIKE ANY(\(readablePatterns)) AND has_table_privilege(c.oid, 'SELECT'))
                  FROM pg_roles r WHERE rolname = current_user
                """, statement: "check the query role")
            let (name, powerful, connectionLimit, groups, writable, creatable, secret, functions, beyondScope) = try role.single(
                (String, Bool, Int, String?, String?, String?, String?, Int, String?).self)
            var problems: [String] = []
            if powerful {
                problems.append("role \(name) is a superuser or may create roles, databases or bypass security")
            }
            if let groups { problems.append("role \(name) is a member of \(groups) and may act as them") }
            if connectionLimit < 0 { problems.append("role \(name) has no CONNECTION LIMIT, so its queries could take every connection") }
            if let writable { problems.append("role \(name) may write to \(writable)") }
            if let creatable { problems.append("role \(name) may create objects in schema \(creatable)") }
            if let secret { problems.append("role \(name) may read \(secret)") }
            if let beyondScope { problems.append("role \(name) may read \(beyondScope), which only elasticc_admin's role may") }
            if functions > 0 {
                problems.append(
                    "role \(name) may run \(functions) functions that reach past its own request (advisory locks, set_config, large objects, other sessions)"
                )
            }
            return problems
        }
    }
}
