import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import TOMDatabase
import TestSupport
import Testing
import WebAPI

/// `db/runsqlquery/`: bind parameters, temporary tables across a list of queries, and every
/// way a caller might try to write, lock, escape the transaction or reach files, refused.
@Suite("elasticc-api db/runsqlquery/: read-only, rolled back, bounded")
struct SQLQueryTests {
    /// The snapshot database, and the conninfo of a fresh query role made by `QueryRole`.
    static func database() throws -> (url: String, queryURL: String, connection: PostgresConnection) {
        let (url, connection) = try ScienceAPITests.database()
        let role = "tom_query_\(UUID().uuidString.prefix(8).lowercased())"
        try QueryRole.grant(role: role, password: "secret", on: connection)
        var components = try #require(URLComponents(string: url))
        components.user = role
        components.password = "secret"
        return (url, try #require(components.string), connection)
    }

    static func application(_ url: String, runner: ReadOnlyQueryRunner?) -> some ApplicationProtocol {
        var settings = APISettings()
        settings.sqlQueries = runner
        let server = ElasticcAPIServer(
            pool: PostgresPool(conninfo: url, applicationName: "api-tests", maximumConnections: 4), settings: settings, logger: RouterTests.logger)
        return Application(router: server.router())
    }

    static func query(_ client: some TestClientProtocol, _ login: (csrf: String, session: String?), _ body: String) async throws -> [String: Any] {
        let answer = try await ScienceAPITests.call(client, login, "/db/runsqlquery/", body: body)
        #expect(answer.status == .ok || answer.status == .badRequest, "\(answer.text)")
        return answer.object
    }

    @Test("Queries with %(name)s bind parameters, IN-lists, temporary tables across a list; rows as {column: value}; SQL errors as status error")
    func queries() async throws {
        let (url, queryURL, connection) = try Self.database()
        let objects = try ScienceAPITests.ints(
            await connection.query("SELECT diaobject_id FROM elasticc2_diaobject ORDER BY 1 LIMIT 3", statement: "objects"))
        let sources = try await connection.query(
            "SELECT count(*) FROM elasticc2_diasource WHERE diaobject_id = ANY(\(objects))", statement: "sources"
        ).value(0, 0, as: Int.self)
        let runner = ReadOnlyQueryRunner(conninfo: queryURL)
        try await Self.application(url, runner: runner).test(.router) { client in
            let login = try await RouterTests.logIn(client, "scientist", "pw")
            let rows = try await Self.query(
                client, login,
                """
                {"query": "SELECT diaobject_id, ra, count(*) AS n FROM elasticc2_diasource WHERE diaobject_id IN %(ids)s AND filtername LIKE %(band)s GROUP BY 1, 2 ORDER BY 1",
                 "subdict": {"ids": [\(objects.map(String.init).joined(separator: ", "))], "band": "%%"}}
                """)
            #expect(rows["status"] as? String == "ok", "\(rows)")
            let list = rows["rows"] as? [[String: Any]] ?? []
            #expect(list.compactMap { $0["n"] as? Int }.reduce(0, +) == sources)
            #expect(list.first?["diaobject_id"] as? Int == Int(objects[0]) && list.first?["ra"] is Double)
            // A value is a value, never SQL: this matches no table.
            let tables = try await Self.query(
                client, login,
                #"{"query": "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = %(name)s", "subdict": {"name": "x' OR '1'='1"}}"#)
            #expect((tables["rows"] as? [[String: Any]])?.first?["n"] as? Int == 0)
            // A temporary table built by one query and read by the next, one dict for both.
            let temp = try await Self.query(
                client, login,
                """
                {"query": ["CREATE TEMP TABLE picked AS SELECT diasource_id, midpointtai FROM elasticc2_diasource WHERE diaobject_id = %(id)s",
                           "SELECT count(*) AS n, max(midpointtai) AS last, now() AS at, 1.5::numeric AS exact, '{1,2}'::int[] AS pair FROM picked"],
                 "subdict": {"id": \(objects[0])}}
                """)
            let row = (temp["rows"] as? [[String: Any]])?.first ?? [:]
            #expect(row["n"] as? Int ?? 0 > 0, "\(temp)")
            #expect((row["at"] as? String)?.hasSuffix("Z") == true && row["exact"] as? String == "1.5" && row["pair"] as? [Int] == [1, 2])
            // Gone with the request.
            let gone = try await Self.query(client, login, #"{"query": "SELECT * FROM picked"}"#)
            #expect(gone["status"] as? String == "error" && (gone["error"] as? String)?.contains("does not exist") == true)
            let broken = try await Self.query(
                client, login, #"{"query": "SELECT * FROM nonexistent_table WHERE name = %(name)s", "subdict": {"name": "Bobby Tables"}}"#)
            #expect(broken["status"] as? String == "error" && (broken["error"] as? String)?.contains("nonexistent_table") == true)
            let missing = try await Self.query(client, login, #"{"query": "SELECT %(a)s", "subdict": {"b": 1}}"#)
            #expect((missing["error"] as? String)?.contains("%(a)s") == true)
            let shape = try await ScienceAPITests.call(client, login, "/db/runsqlquery/", body: #"{"query": 5}"#)
            #expect(shape.status == .badRequest && shape.error.contains("query"))
        }
    }

    /// Rows of tables a query could damage, and advisory locks held in this database (other tests
    /// take their own in theirs).
    static func counts(_ connection: PostgresConnection) throws -> [Int] {
        let result = try connection.query(
            """
            SELECT (SELECT count(*) FROM elasticc2_diaobject), (SELECT count(*) FROM elasticc2_brokermessage),
                   (SELECT count(*) FROM elasticc2_wantedspectra), (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
                                                                                         AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))
            """, statement: "counts")
        return try (0..<4).map { try result.value(0, $0, as: Int.self) }
    }

    @Test("Writes, locks, file access, role changes, smuggled COMMITs, long queries and huge answers are refused; the TOM's tables are untouched")
    func safety() async throws {
        let (url, queryURL, connection) = try Self.database()
        let before = try await connection.run { connection in try Self.counts(connection) }
        let superuser = try await connection.query("SELECT current_user", statement: "me").value(0, 0, as: String.self)
        // The server refuses to run as a role that could write or read secrets.
        #expect(try await !ReadOnlyQueryRunner(conninfo: url).roleProblems(privateTables: QueryRole.privateTablePatterns).isEmpty)
        #expect(try await ReadOnlyQueryRunner(conninfo: queryURL).roleProblems(privateTables: QueryRole.privateTablePatterns).isEmpty)
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("runsqlquery-\(UUID().uuidString)").path
        let runner = ReadOnlyQueryRunner(conninfo: queryURL, timeout: .seconds(2), rowLimit: 500)
        try await Self.application(url, runner: runner).test(.router) { client in
            let login = try await RouterTests.logIn(client, "scientist", "pw")
            let attempts: [(query: String, says: String)] = [
                (#""INSERT INTO elasticc2_diaobject (diaobject_id, ra, decl, isddf) VALUES (1, 0, 0, false)""#, "permission denied"),
                (#""UPDATE elasticc2_brokermessage SET classid = NULL""#, "permission denied"),
                (#""DELETE FROM elasticc2_diaobject""#, "permission denied"),
                (#""TRUNCATE elasticc2_diaobject""#, "TRUNCATE is not allowed"),
                (#""WITH gone AS (DELETE FROM elasticc2_diaobject RETURNING 1) SELECT count(*) FROM gone""#, "data-modifying"),
                (#""SELECT * FROM elasticc2_diaobject FOR UPDATE""#, "permission denied"),
                (#""LOCK TABLE elasticc2_diaobject IN ACCESS EXCLUSIVE MODE""#, "LOCK is not allowed"),
                (#""CREATE TABLE public.mine (x int)""#, "only CREATE TEMP TABLE"),
                (#""SELECT 1 INTO public.mine""#, "permission denied"),
                ("\"COPY (SELECT 1) TO PROGRAM 'touch \(marker)'\"", "COPY is not allowed"),
                ("\"COPY elasticc2_diaobject TO '\(marker)'\"", "COPY is not allowed"),
                (#""SELECT pg_read_file('/etc/passwd')""#, "permission denied"),
                (#""SELECT lo_import('/etc/passwd')""#, "permission denied"),
                (#""SET ROLE postgres""#, "SET is not allowed"),
                ("\"SELECT set_config('role', '\(superuser)', false)\"", "permission denied"),
                (#""RESET ROLE""#, "RESET is not allowed"),
                (#""SET statement_timeout = 0""#, "SET is not allowed"),
                (#"["COMMIT", "DELETE FROM elasticc2_diaobject"]"#, "COMMIT is not allowed"),
                (#""SELECT 1; COMMIT; DELETE FROM elasticc2_diaobject""#, "multiple commands"),
                (#"["SELECT 1", "/* hidden */ END"]"#, "END is not allowed"),
                (#""DO $$ BEGIN DELETE FROM elasticc2_diaobject; END $$""#, "DO is not allowed"),
                (#""SELECT * FROM auth_user""#, "permission denied"),
                (#""SELECT * FROM elasticcstream_session""#, "permission denied"),
                (#""SELECT pg_sleep(30)""#, "cancel"),
                (#"["SELECT set_config('statement_timeout', '0', false)", "SELECT pg_sleep(30)"]"#, "longer than 2 s"),
                (#""SELECT generate_series(1, 100000)""#, "more than 500 rows"),
            ]
            for attempt in attempts {
                let answer = try await Self.query(client, login, "{\"query\": \(attempt.query)}")
                #expect(answer["status"] as? String == "error", "\(attempt.query): \(answer)")
                #expect((answer["error"] as? String)?.contains(attempt.says) == true, "\(attempt.query): \(answer["error"] ?? "")")
            }
            // An advisory lock dies with the request's connection; the pipeline's locks stay free.
            let locked = try await Self.query(client, login, #"{"query": "SELECT pg_advisory_lock(42) IS NOT NULL AS locked"}"#)
            #expect((locked["rows"] as? [[String: Any]])?.first?["locked"] as? Bool == true)
            try await TestEnvironment.waitUntil(timeout: .seconds(10), "the request's advisory lock released") {
                try await connection.run { connection in try Self.counts(connection) }[3] == before[3]
            }
            // Not configured: 503 naming the option.
            try await Self.application(url, runner: nil).test(.router) { bare in
                let bareLogin = try await RouterTests.logIn(bare, "scientist", "pw")
                let off = try await ScienceAPITests.call(bare, bareLogin, "/db/runsqlquery/", body: #"{"query": "SELECT 1"}"#)
                #expect(off.status == .serviceUnavailable && off.error.contains("--sql-query-db"))
            }
        }
        #expect(try await connection.run { connection in try Self.counts(connection) } == before)
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}
