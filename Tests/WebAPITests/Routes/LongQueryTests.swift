import Foundation
import Postgres
import TOMDatabase
import TestSupport
import Testing

@testable import WebAPI

/// `db/submitsqlquery/`, `db/checksqlquery/`, `db/getsqlqueryresults/`: driven by the TOM's
/// `tom_client.py` and read with pandas; the queue through `kill -9`, SIGTERM and two servers.
@Suite("elasticc-api long queries: the TOM's three URLs, pandas' CSV and pickle, a queue that survives its servers")
struct LongQueryTests {
    /// The snapshot database with users scientist (elasticc_admin), plain and root (superuser),
    /// and the two query roles.
    static func database() async throws -> (url: String, roles: (plain: String, admin: String), connection: PostgresConnection) {
        let (url, _, connection) = try SQLQueryTests.database()
        let roles = try await SQLQueryTests.grantedRoles(url)
        _ = try await connection.run { connection in
            let hash = try DjangoPassword.hash("pw", iterations: 1000)
            _ = try UserDirectory.save(
                username: "scientist", passwordHash: hash, broker: false, superuser: false, elasticcAdmin: true, on: connection)
            _ = try UserDirectory.save(username: "plain", passwordHash: hash, broker: false, superuser: false, on: connection)
            return try UserDirectory.save(username: "root", passwordHash: hash, broker: false, superuser: true, on: connection)
        }
        return (url, roles, connection)
    }

    @Test(
        "TomClient submits, polls and fetches: CSV byte for byte pandas' to_csv, a pickle pandas reads with the same dtypes, errors and strangers refused"
    )
    func tomClientLongQueries() async throws {
        let (url, roles, _) = try await Self.database()
        let output = try await TomClientTests.withServer(
            ["--db", url, "--sql-query-db", roles.plain, "--sql-admin-query-db", roles.admin, "--query-workers", "2"]
        ) { address, work in
            return try await TestEnvironment.runPython(
                script: "tom_long_query.py", arguments: [try TestEnvironment.reference("tom_desc").path, "http://\(address)", url], input: "")
        }
        let result = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(result["submit"] as? [AnyHashable] == [200, "ok", 36])
        let states = result["states"] as? [String] ?? []
        #expect(states.last == "finished" && Set(states).isSubset(of: ["queued", "started", "finished"]))
        #expect(result["status_keys"] as? [String] == ["finished", "queries", "queryid", "started", "status", "subdicts", "submitted"])
        // Python's isoformat() with the offset: 2026-12-03T10:16:34.123456+00:00.
        let times = result["times"] as? [String] ?? []
        #expect(times.count == 3 && times.allSatisfy { $0.hasSuffix("+00:00") && $0.count >= 25 && $0.dropFirst(10).first == "T" })
        #expect(times.sorted() == times)
        #expect(result["echo"] as? [Bool] == [true, true])
        #expect(result["csv_type"] as? String == "text/csv; charset=utf-8")
        #expect(result["csv_rows"] as? Int ?? 0 >= 12)
        #expect(result["csv_equal"] as? Bool == true, "\(result["csv_first_difference"] ?? "")")
        #expect(result["csv_read_back"] as? Bool == true)
        #expect(result["pickle_type"] as? String == "application/octet-stream")
        #expect(result["pickle_dtypes_equal"] as? Bool == true, "\(result["pickle_dtypes"] ?? "")")
        #expect(result["pickle_equal"] as? Bool == true)
        #expect(
            result["pickle_globals"] as? [String] == [
                "datetime date", "datetime datetime", "datetime timedelta", "datetime timezone", "decimal Decimal", "pandas DataFrame",
            ])
        #expect(result["temp_table"] as? String == ",n,first\n0,2,\(try Self.secondObject(url))\n")
        #expect(result["empty"] as? String == ",diaobject_id,ra\n")
        // JSON's true comes as NSNumber 1.
        func spelled(_ key: String) -> [String] { (result[key] as? [Any] ?? []).map { "\($0)" } }
        #expect(spelled("failed") == ["error", "1", "1", "1"])
        #expect(spelled("failed_results") == ["409", "1"])
        #expect(spelled("plain_denied") == ["error", "1"])
        #expect(result["plain_reads_broker_tables"] as? String == ",n")
        let numpy = result["numpy"] as? [Any]
        #expect(numpy?.first as? Int == 400 && (numpy?.last as? [String: String])?["error"]?.contains("numpy") == true)
        #expect([result["unknown_format"], result["no_query"]].map { $0 as? Int } == [400, 400])
        #expect(spelled("write") == ["200", "error", "1"])
        #expect(result["other_user"] as? [Int] == [404, 404])
        #expect(result["superuser"] as? String == "finished")
        let unknown = result["unknown"] as? [Any]
        #expect(unknown?.first as? Int == 404)
        #expect((unknown?.last as? [String: String]) == ["status": "error", "error": "Unknown query 00000000-0000-4000-8000-000000000000"])
        #expect(result["malformed"] as? Int == 404 && result["get"] as? Int == 405 && result["stranger"] as? Int == 403)
    }

    /// The second of the three objects tom_long_query.py picks.
    static func secondObject(_ url: String) throws -> Int64 {
        let connection = try PostgresConnection(url)
        defer { connection.close() }
        let result = try connection.query(
            "SELECT diaobject_id FROM elasticc2_diasource GROUP BY 1 HAVING count(*) >= 4 ORDER BY 1 LIMIT 1 OFFSET 1", statement: "object")
        return try result.single(Int64.self)
    }

    /// Queues a query straight into the table (as another server on the database would).
    static func queue(_ sql: String, user: String, on connection: PostgresConnection) throws -> String {
        let id = UUID().uuidString.lowercased()
        try connection.query(
            """
            INSERT INTO public.\(unescaped: OwnTables.longQuery) (queryid, user_id, admin_scope, queries, subdicts, format)
            SELECT \(id)::uuid, id, false, ARRAY[\(sql)], '[{}]', 'csv' FROM auth_user WHERE username = \(user)
            """, statement: "queue")
        return id
    }

    struct Run: Equatable {
        var started: Bool, finished: Bool, error: Bool, attempts: Int, runner: String?, errorText: String?
    }

    static func run(_ id: String, on connection: PostgresConnection) throws -> Run? {
        let result = try connection.query(
            """
            SELECT started IS NOT NULL, finished IS NOT NULL, error, attempts, runner, errortext
              FROM public.\(unescaped: OwnTables.longQuery) WHERE queryid = \(id)::uuid
            """, statement: "run")
        guard result.rowCount == 1 else { return nil }
        let (started, finished, error, attempts, runner, errorText) = try result.single((Bool, Bool, Bool, Int, String?, String?).self)
        return Run(started: started, finished: finished, error: error, attempts: attempts, runner: runner, errorText: errorText)
    }

    @Test(
        "The queue in PostgreSQL: kill -9 mid-query reruns it once, SIGTERM puts it back, twice killed fails, two servers never run one twice, old results pruned"
    )
    func queueSurvivesServers() async throws {
        let (url, roles, connection) = try await Self.database()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("long-\(UUID().uuidString)")
        let results = work.appendingPathComponent("results")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let arguments = ["--db", url, "--sql-query-db", roles.plain, "--query-results-dir", results.path]
        var servers: [Process] = []
        defer { for server in servers where server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        func start(_ workers: Int) async throws -> Process {
            let (server, _) = try await TomClientTests.startServer(arguments + ["--query-workers", String(workers)], in: work)
            servers.append(server)
            return server
        }
        func stopped(_ server: Process) async throws {
            try await TestEnvironment.waitUntil(timeout: .seconds(30), "elasticc-api stopped") { !server.isRunning }
        }
        let sync = { @Sendable (id: String) async throws -> Run? in try await connection.run { try Self.run(id, on: $0) } }
        let queue = { @Sendable (sql: String) async throws -> String in try await connection.run { try Self.queue(sql, user: "plain", on: $0) } }

        // A query that runs until the test lets it go: it sleeps a minute while the broker tables
        // (which the query role reads) have no classifier of that name, and not at all once they do.
        func held(_ name: String, _ select: String) -> String {
            """
            SELECT \(select) FROM pg_sleep((SELECT CASE WHEN count(*) = 0 THEN 60 ELSE 0 END FROM elasticc2_brokerclassifier
                                              WHERE classifiername = '\(name)'))
            """
        }
        func release(_ name: String) async throws {
            try await connection.query(
                """
                INSERT INTO elasticc2_brokerclassifier (brokername, brokerversion, classifiername, classifierparams, modified)
                VALUES ('test', '1', \(name), '', now())
                """, statement: "release")
        }

        // kill -9 while the query runs: the next server runs it again, and only once more.
        let first = try await start(1)
        let slow = try await queue(held("first", "42 AS answer"))
        try await TestEnvironment.waitUntil(timeout: .seconds(30), "query started") { try await sync(slow)?.started == true }
        kill(first.processIdentifier, SIGKILL)
        try await stopped(first)
        #expect(try await sync(slow).map { $0.started && !$0.finished && $0.attempts == 1 } == true)
        // A query whose servers died under it twice already is failed, not run a third time.
        let doomed = try await queue("SELECT 1 AS one")
        try await connection.query(
            "UPDATE public.\(unescaped: OwnTables.longQuery) SET started = now(), attempts = 2 WHERE queryid = \(doomed)::uuid", statement: "doom")
        try await release("first")
        let second = try await start(1)
        try await TestEnvironment.waitUntil(timeout: .seconds(60), "killed query rerun") { try await sync(slow)?.finished == true }
        let rerun = try #require(try await sync(slow))
        #expect(!rerun.error && rerun.attempts == 2, "\(rerun)")
        #expect(try String(contentsOf: results.appendingPathComponent("\(slow).csv"), encoding: .utf8) == ",answer\n0,42\n")
        try await TestEnvironment.waitUntil(timeout: .seconds(30), "doomed query failed") { try await sync(doomed)?.finished == true }
        let given = try #require(try await sync(doomed))
        #expect(given.error && given.attempts == 2 && given.errorText?.contains("stopped 2 times") == true, "\(given)")
        // No file of the killed run is left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: results.path).filter { $0.contains(".run") }
        #expect(leftovers.isEmpty, "\(leftovers)")

        // SIGTERM while a query runs: it goes back to the queue, not counted as a run.
        let interrupted = try await queue(held("second", "7 AS seven"))
        try await TestEnvironment.waitUntil(timeout: .seconds(30), "query started") { try await sync(interrupted)?.started == true }
        kill(second.processIdentifier, SIGTERM)
        try await stopped(second)
        #expect(second.terminationStatus == 0)
        #expect(try await sync(interrupted) == Run(started: false, finished: false, error: false, attempts: 0, runner: nil, errorText: nil))

        try await release("second")
        // A finished query older than --query-results-days goes, with its file, when a server starts.
        try await connection.query(
            "UPDATE public.\(unescaped: OwnTables.longQuery) SET finished = now() - interval '8 days' WHERE queryid = \(slow)::uuid", statement: "age"
        )
        // Two servers on one queue, two workers each: every query runs exactly once.
        var many: [String] = []
        for number in 0..<16 { many.append(try await queue("SELECT \(number) AS n FROM pg_sleep(0.2)")) }
        let third = try await start(2)
        let fourth = try await start(2)
        try await TestEnvironment.waitUntil(timeout: .seconds(90), "every query finished") {
            for id in many + [interrupted] where try await sync(id)?.finished != true { return false }
            return true
        }
        var runs: [Run] = []
        for id in many + [interrupted] { runs.append(try #require(try await sync(id))) }
        #expect(runs.allSatisfy { !$0.error && $0.attempts == 1 }, "\(runs)")
        #expect(Set(runs.compactMap(\.runner)).count == 2, "both servers ran queries: \(runs.map(\.runner))")
        for (number, id) in many.enumerated() {
            #expect(try String(contentsOf: results.appendingPathComponent("\(id).csv"), encoding: .utf8) == ",n\n0,\(number)\n")
        }
        try await TestEnvironment.waitUntil(timeout: .seconds(30), "old query pruned") { try await sync(slow) == nil }
        #expect(!FileManager.default.fileExists(atPath: results.appendingPathComponent("\(slow).csv").path))
        for server in [third, fourth] { kill(server.processIdentifier, SIGTERM) }
        for server in [third, fourth] { try await stopped(server) }
    }
}
