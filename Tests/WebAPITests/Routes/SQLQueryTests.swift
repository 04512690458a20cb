import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Logging
import Postgres
import TOMDatabase
import TestSupport
import Testing

@testable import WebAPI

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

    /// The two roles as `ppdb grant-query-role` makes them (the built executable): conninfos of
    /// the plain role and of its `_admin` twin.
    static func grantedRoles(_ url: String) async throws -> (plain: String, admin: String) {
        let role = "tom_ro_\(UUID().uuidString.prefix(8).lowercased())"
        let passwordFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(role).password")
        try "secret\n".write(to: passwordFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: passwordFile) }
        let output = try await TestEnvironment.execute(
            [TestEnvironment.executable("ppdb"), "grant-query-role", role, "--password-file", passwordFile.path, "--db", url])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("query role \(role): may read the broker and taxonomy tables"))
        #expect(output.stdout.contains("query role \(role)_admin: may read every science table"))
        func conninfo(_ user: String) throws -> String {
            var components = try #require(URLComponents(string: url))
            components.user = user
            components.password = "secret"
            return try #require(components.string)
        }
        return (try conninfo(role), try conninfo(role + "_admin"))
    }

    @Test("Everybody's SQL reads the broker and taxonomy tables; only elasticc_admin's reads truth and the PPDB; serve checks each role's share")
    func queryRoleScopes() async throws {
        let (url, connection) = try ScienceAPITests.database()
        let (plain, admin) = try await Self.grantedRoles(url)
        _ = try await connection.run { connection in
            try UserDirectory.save(
                username: "boss", passwordHash: try DjangoPassword.hash("pw", iterations: 1000), broker: false, superuser: false, elasticcAdmin: true,
                on: connection)
        }
        // serve refuses a role that reads more than its share.
        let refused = try await TestEnvironment.execute(
            [TestEnvironment.executable("elasticc-api"), "serve", "--listen", "127.0.0.1:0", "--db", url, "--sql-query-db", admin])
        #expect(refused.status != 0 && refused.stderr.contains("refusing --sql-query-db") && refused.stderr.contains("elasticc2_diaobjecttruth"))
        #expect(refused.stderr.contains("which only elasticc_admin's role may"))
        #expect(
            try await ReadOnlyQueryRunner(conninfo: plain).roleProblems(
                privateTables: QueryRole.privateTablePatterns, readablePatterns: QueryRole.Scope.brokerTables.readablePatterns,
                guardedFunctionsCondition: QueryRole.guardedFunctionsCondition) == [])
        #expect(try await Self.roleProblems(admin) == [])

        var settings = APISettings()
        settings.sqlQueries = ReadOnlyQueryRunner(conninfo: plain)
        settings.sqlAdminQueries = ReadOnlyQueryRunner(conninfo: admin)
        let server = ElasticcAPIServer(
            pool: PostgresPool(conninfo: url, applicationName: "api-tests", maximumConnections: 4), settings: settings, logger: RouterTests.logger)
        try await Application(router: server.router()).test(.router) { client in
            let truth = #"{"query": "SELECT count(*) AS n FROM elasticc2_diaobjecttruth"}"#
            let shared =
                #"{"query": "SELECT (SELECT count(*) FROM elasticc2_brokermessage) AS messages, (SELECT count(*) FROM elasticc2_classidofgentype) AS classes"}"#
            let scientist = try await RouterTests.logIn(client, "scientist", "pw")
            let refusedTruth = try await Self.query(client, scientist, truth)
            #expect(refusedTruth["status"] as? String == "error")
            #expect((refusedTruth["error"] as? String ?? "").contains("permission denied for table elasticc2_diaobjecttruth"), "\(refusedTruth)")
            let refusedPPDB = try await Self.query(client, scientist, #"{"query": "SELECT count(*) AS n FROM elasticc2_ppdbdiaobject"}"#)
            #expect(refusedPPDB["status"] as? String == "error")
            let boss = try await RouterTests.logIn(client, "boss", "pw")
            let answered = try await Self.query(client, boss, truth)
            #expect((answered["rows"] as? [[String: Any]])?.first?["n"] as? Int == 346, "\(answered)")
            for login in [scientist, boss] {
                let rows = try await Self.query(client, login, shared)
                let row = (rows["rows"] as? [[String: Any]])?.first
                #expect(row?["messages"] as? Int ?? 0 > 0 && row?["classes"] as? Int == 124, "\(rows)")
            }
        }
    }

    static func roleProblems(_ url: String) async throws -> [String] {
        try await ReadOnlyQueryRunner(conninfo: url).roleProblems(
            privateTables: QueryRole.privateTablePatterns, guardedFunctionsCondition: QueryRole.guardedFunctionsCondition)
    }

    @Test("Writes, locks, file access, role changes, smuggled COMMITs, long queries and huge answers are refused; the TOM's tables are untouched")
    func safety() async throws {
        let (url, queryURL, connection) = try Self.database()
        let before = try await connection.run { connection in try Self.counts(connection) }
        let superuser = try await connection.query("SELECT current_user", statement: "me").value(0, 0, as: String.self)
        // The server refuses to run as a role that could write or read secrets.
        #expect(try await !Self.roleProblems(url).isEmpty)
        #expect(try await Self.roleProblems(queryURL) == [])
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("runsqlquery-\(UUID().uuidString)").path
        var limits = SQLQueryLimits()
        limits.rows = 500
        let runner = ReadOnlyQueryRunner(conninfo: queryURL, timeout: .seconds(2), limits: limits)
        try await Self.application(url, runner: runner).test(.router) { client in
            let login = try await RouterTests.logIn(client, "scientist", "pw")
            let attempts: [(query: String, says: String)] = [
                (#""INSERT INTO elasticc2_diaobject (diaobject_id, ra, decl, isddf) VALUES (1, 0, 0, false)""#, "permission denied"),
                (#""UPDATE elasticc2_brokermessage SET classid = NULL""#, "permission denied"),
                (#""DELETE FROM elasticc2_diaobject""#, "permission denied"),
                (#""TRUNCATE elasticc2_diaobject""#, "TRUNCATE is not allowed"),
                (#""WITH gone AS (DELETE FROM elasticc2_diaobject RETURNING 1) SELECT count(*) FROM gone""#, "data-modifying"),
                (#""SELECT * FROM elasticc2_diaobject FOR UPDATE""#, "read-only transaction"),
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
                (#""SELECT 1; COMMIT; DELETE FROM elasticc2_diaobject""#, "more than one statement"),
                // PostgreSQL ends a -- comment at \r as well as \n: what follows is the statement.
                (#""-- note\rCOMMIT /*\nSELECT 1 */""#, "COMMIT is not allowed"),
                (#""-- note\rSET statement_timeout = 0 /*\nSELECT 1 */""#, "SET is not allowed"),
                (#""/* a /* nested */ comment \n*/ ALTER ROLE CURRENT_USER SET work_mem = '2GB'""#, "ALTER is not allowed"),
                (#""SELECT 'unterminated""#, "unterminated string"),
                (#""SELECT $tag$ unterminated""#, "unterminated dollar-quoted string"),
                ("\"SELECT pg_advisory_lock(\(0x4553_414C_4552_5453))\"", "permission denied"),
                (#""SELECT pg_try_advisory_xact_lock(1)""#, "permission denied"),
                (#""SELECT lo_create(0)""#, "permission denied"),
                (#""SELECT query FROM pg_stat_activity""#, "permission denied"),
                (#""SELECT pg_terminate_backend(pg_backend_pid())""#, "permission denied"),
                (#""SELECT pg_notify('x', 'y')""#, "permission denied"),
                (#""INSERT INTO pg_temp.nothing SELECT 1 RETURNING 1""#, "RETURNING is not supported"),
                (#"["SELECT 1", "/* hidden */ END"]"#, "END is not allowed"),
                (#""DO $$ BEGIN DELETE FROM elasticc2_diaobject; END $$""#, "DO is not allowed"),
                (#""SELECT * FROM auth_user""#, "permission denied"),
                (#""SELECT * FROM elasticcstream_session""#, "permission denied"),
                (#""SELECT pg_sleep(30)""#, "cancel"),
                (#""SELECT generate_series(1, 100000)""#, "more than 500 rows"),
                // The word into, in a comment or a string, no longer lifts the row limit.
                (#""SELECT generate_series(1, 100000) /* into */, 'into' AS word""#, "more than 500 rows"),
            ]
            for attempt in attempts {
                let answer = try await Self.query(client, login, "{\"query\": \(attempt.query)}")
                #expect(answer["status"] as? String == "error", "\(attempt.query): \(answer)")
                #expect((answer["error"] as? String)?.contains(attempt.says) == true, "\(attempt.query): \(answer["error"] ?? "")")
            }
            // Lexed as the server does: a semicolon in a dollar quote or a string is text, and
            // SELECT … INTO still makes a temporary table, read by the next query.
            let quoted = try await Self.query(client, login, #"{"query": "SELECT $x$ ; COMMIT $x$ AS a, E'\\' ; ' AS b"}"#)
            #expect((quoted["rows"] as? [[String: Any]])?.first?["a"] as? String == " ; COMMIT ", "\(quoted)")
            let into = try await Self.query(
                client, login, #"{"query": ["SELECT g INTO TEMP picked FROM generate_series(1, 1000) g", "SELECT count(*) AS n FROM picked"]}"#)
            #expect((into["rows"] as? [[String: Any]])?.first?["n"] as? Int == 1000, "\(into)")
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

    @Test("Limits: expanded SQL, answer bytes, queries running per user (429), each named after its user in pg_stat_activity")
    func limits() async throws {
        let (url, queryURL, connection) = try Self.database()
        var limits = SQLQueryLimits()
        limits.answerBytes = 100_000
        limits.expandedSQLBytes = 50_000
        limits.concurrentPerUser = 1
        limits.temporaryTableBytes = 2_000_000
        let runner = ReadOnlyQueryRunner(conninfo: queryURL, timeout: .seconds(20), limits: limits)
        try await Self.application(url, runner: runner).test(.router) { client in
            let login = try await RouterTests.logIn(client, "scientist", "pw")
            // A list placeholder used many times would have made megabytes of SQL.
            let ids = (1...1000).map(String.init).joined(separator: ",")
            let uses = Array(repeating: "%(ids)s", count: 150).map { "1 IN \($0)" }.joined(separator: " OR ")
            let expanded = try await Self.query(client, login, #"{"query": "SELECT 1 WHERE \#(uses)", "subdict": {"ids": [\#(ids)]}}"#)
            #expect((expanded["error"] as? String)?.contains("longer than 50000 bytes") == true, "\(expanded)")
            let wide = try await Self.query(client, login, #"{"query": "SELECT repeat('x', 60000) AS a FROM generate_series(1, 3)"}"#)
            #expect((wide["error"] as? String)?.contains("larger than 100000 bytes") == true, "\(wide)")
            let narrow = try await Self.query(client, login, #"{"query": "SELECT repeat('x', 60000) AS a"}"#)
            #expect(narrow["status"] as? String == "ok")
            // Temporary tables are measured after every statement (temp_file_limit does not count them).
            let filled = try await Self.query(
                client, login,
                #"{"query": ["CREATE TEMP TABLE big AS SELECT repeat('x', 1000) AS a FROM generate_series(1, 5000)", "SELECT count(*) FROM big"]}"#)
            #expect((filled["error"] as? String)?.contains("query 1: the temporary tables hold") == true, "\(filled)")
            #expect((filled["error"] as? String)?.contains("more than the 2000000 allowed here") == true, "\(filled)")
            let small = try await Self.query(
                client, login, #"{"query": ["CREATE TEMP TABLE few AS SELECT g FROM generate_series(1, 100) g", "SELECT count(*) AS n FROM few"]}"#)
            #expect((small["rows"] as? [[String: Any]])?.first?["n"] as? Int == 100, "\(small)")

            // One query of this user running: the next is turned away, and the running one
            // carries the user's name for the operator.
            async let slow = ScienceAPITests.call(client, login, "/db/runsqlquery/", body: #"{"query": "SELECT pg_sleep(5) IS NULL AS slept"}"#)
            try await TestEnvironment.waitUntil(timeout: .seconds(15), "the slow query running") {
                try await connection.query(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'runsqlquery scientist' AND wait_event = 'PgSleep'",
                    statement: "find it"
                ).value(0, 0, as: Int.self) == 1
            }
            let refused = try await ScienceAPITests.call(client, login, "/db/runsqlquery/", body: #"{"query": "SELECT 1"}"#)
            #expect(refused.status == .tooManyRequests && refused.error.contains("at most 1 per user"), "\(refused.text)")
            #expect(try await slow.status == .ok)
            let after = try await Self.query(client, login, #"{"query": "SELECT 1 AS one"}"#)
            #expect(after["status"] as? String == "ok")
        }
    }

    @Test("Requests running at once are bounded per user and in all; a finished one frees its place")
    func admission() throws {
        let admission = QueryAdmission(perUser: 2, overall: 3)
        let first = admission.admit(user: "ann")
        #expect(first != nil)
        #expect(admission.admit(user: "ann") != nil)
        #expect(admission.admit(user: "ann") == nil, "a third of ann's while two run")
        let bob = admission.admit(user: "bob")
        #expect(bob != nil)
        #expect(admission.admit(user: "carl") == nil, "a fourth in all while three run, though carl has none")
        admission.release(try #require(first))
        #expect(admission.admit(user: "carl") != nil, "a place freed")
    }

    @Test("A statement that ends the transaction, however it got past the gate, stops the request and closes its session")
    func transactionLeft() async throws {
        let (_, queryURL, _) = try Self.database()
        let connection = try await PostgresConnection.open(queryURL)
        let answer = try await connection.run { connection in
            ReadOnlyQueryRunner.execute(
                [
                    (PostgresQuery(unescaped: "SELECT 1"), .query), (PostgresQuery(unescaped: "COMMIT"), .inspection),
                    (PostgresQuery(unescaped: "SELECT 2"), .query),
                ],
                settings: [], limits: SQLQueryLimits(), on: connection)
        }
        #expect(answer.isError && String(decoding: answer.json, as: UTF8.self).contains("query 2 ended the request's transaction"))
        #expect(!connection.isConnected)
    }

    @Test("Every value of every type PostgreSQL returns encodes as JSON: infinities, BC and far years, NaN, arrays of all kinds")
    func everyValueEncodes() async throws {
        let (_, queryURL, _) = try Self.database()
        let runner = ReadOnlyQueryRunner(conninfo: queryURL, timeout: .seconds(20))
        let values = [
            "'infinity'::timestamptz", "'-infinity'::timestamptz", "'infinity'::timestamp", "'-infinity'::timestamp",
            "'4713-01-01 BC'::timestamp", "'0044-03-15 12:00:00+00 BC'::timestamptz", "'294276-12-31 23:59:59.999999'::timestamp",
            "'10000-01-01 00:00:00+00'::timestamptz", "'2026-12-02 10:11:12.5'::timestamp", "'2026-12-02 10:11:12'::timestamptz",
            "'infinity'::date", "'-infinity'::date", "'5874897-12-31'::date", "'4713-01-01 BC'::date", "'24:00:00'::time", "'00:00:00+15:59'::timetz",
            "interval '-178000000 years'", "'NaN'::float8", "'Infinity'::float8", "'-Infinity'::float4", "'NaN'::float4", "'-0'::float8",
            "4.9e-324::float8", "1.4e-45::float4", "'NaN'::numeric", "'Infinity'::numeric", "'-Infinity'::numeric", "1e1000::numeric",
            "9223372036854775807::int8", "(-9223372036854775807 - 1)::int8", "(-32768)::int2", "4294967295::oid", "true", "NULL",
            "'{}'::int[]", "ARRAY[NULL]::int[]", "'[0:1]={1,2}'::int[]", "ARRAY[[1,2],[3,4]]", "ARRAY['infinity'::timestamptz, NULL]",
            "ARRAY['NaN'::float8, 'Infinity', '-Infinity']", "ARRAY['NaN'::float4]", "ARRAY['a\"b', 'c\\d', NULL, 'NULL', ' ', '{}', '']::text[]",
            "ARRAY[1.5::numeric, 'NaN']", "ARRAY['(1,2)'::point]", "ARRAY[true, NULL]", "ARRAY['infinity'::date]", "ARRAY['{\"a\": 1}'::jsonb]",
            "ARRAY['{\"a\": [1, null]}'::json]", "'\"\\u0000\"'::json", "'{\"a\": 1e400}'::json", "'{\"b\": [1, {}]}'::jsonb",
            "chr(1) || chr(31) || chr(127) || chr(65533) || chr(1114111)", "E'\\\\xDEADBEEF'::bytea", "'(1,2)'::point", "'[1,2)'::int4range",
            "'empty'::int4range", "'{[1,2]}'::int4multirange", "B'1010'::bit(4)", "'12.34'::money", "'fe80::1/64'::inet",
            "'00000000-0000-0000-0000-000000000000'::uuid", "'a:1 b:2'::tsvector", "'<a/>'::xml", "'pg_class'::regclass", "'1 2'::oidvector",
            "'1 2'::int2vector", "ARRAY['1 day'::interval]", "ARRAY[ARRAY[]::int[]]", "'{{NULL}}'::text[]", "ARRAY[''::bytea]",
        ]
        // Each alone, so one that fails names itself, then all in one row.
        // JSON allows what each reader below refuses one of (Foundation: 1e400; ours: \u0000), so
        // the row of all leaves those two out and each alone must satisfy one reader.
        let rawJSON: Set = ["'\"\\u0000\"'::json", "'{\"a\": 1e400}'::json"]
        for value in values + [values.filter { !rawJSON.contains($0) }.joined(separator: ", ")] {
            let request = try SQLQueryRequest(JSONValue.object([("query", .string("SELECT \(value)"))]))
            let answer = await runner.run(request, user: "fuzz")
            let text = String(decoding: answer.json, as: UTF8.self)
            #expect(!answer.isError, "\(value): \(text)")
            let readable = (try? JSONSerialization.jsonObject(with: Data(answer.json))) != nil || (try? JSONValue.parse(answer.json)) != nil
            #expect(readable, "\(value) is not valid JSON: \(text)")
        }
        // Timestamps keep the TOM's spelling where there is one, and PostgreSQL's elsewhere.
        let spelled = await runner.run(
            try SQLQueryRequest(
                JSONValue.object([
                    (
                        "query",
                        .string(
                            "SELECT '-infinity'::timestamptz AS a, '2026-12-02 10:11:12.5'::timestamp AS b, '10000-01-01 00:00:00+00'::timestamptz AS c"
                        )
                    )
                ])), user: "fuzz")
        let row = try #require(((try JSONSerialization.jsonObject(with: Data(spelled.json)) as? [String: Any])?["rows"] as? [[String: Any]])?.first)
        #expect(
            row["a"] as? String == "-infinity" && row["b"] as? String == "2026-12-02T10:11:12.500" && row["c"] as? String == "10000-01-01 00:00:00+00"
        )
    }

    @Test(
        "grant-query-role: reruns as a non-superuser owner, sends only a password hash; serve's check sees memberships, sequences, schemas and functions"
    )
    func queryRoleSetup() async throws {
        let (url, queryURL, connection) = try Self.database()
        let role = try #require(URLComponents(string: queryURL)?.user)
        let hash = try await connection.query("SELECT rolpassword FROM pg_authid WHERE rolname = \(role)", statement: "hash").value(
            0, 0, as: String.self)
        #expect(hash.hasPrefix("SCRAM-SHA-256$"))
        #expect(
            try await connection.query("SELECT rolconnlimit FROM pg_roles WHERE rolname = \(role)", statement: "limit").value(0, 0, as: Int.self)
                == 16)

        // An owner that is no superuser (it may create roles and grant what it reads) runs it again.
        let owner = "owner_\(UUID().uuidString.prefix(8).lowercased())"
        let database = try await connection.query("SELECT current_database()", statement: "db").value(0, 0, as: String.self)
        for sql in [
            "CREATE ROLE \(owner) LOGIN CREATEROLE PASSWORD 'pw'", "GRANT ALL ON DATABASE \(database) TO \(owner) WITH GRANT OPTION",
            "GRANT USAGE, CREATE ON SCHEMA public TO \(owner) WITH GRANT OPTION",
            "GRANT SELECT ON ALL TABLES IN SCHEMA public TO \(owner) WITH GRANT OPTION",
        ] {
            try await connection.query(PostgresQuery(unescaped: sql), statement: sql)
        }
        var components = try #require(URLComponents(string: url))
        components.user = owner
        components.password = "pw"
        let ownerConnection = try PostgresConnection(try #require(components.string))
        let rerun = try QueryRole.grant(role: role, password: "secret", on: ownerConnection)
        #expect(rerun.needsSuperuser.isEmpty)
        #expect(try await Self.roleProblems(queryURL) == [])

        // What the start-up check refuses: a membership, a writable sequence, a schema to create in, a guarded function.
        let helper = "helper_\(UUID().uuidString.prefix(8).lowercased())"
        for sql in [
            "CREATE ROLE \(helper)", "GRANT \(helper) TO \(role)", "CREATE SEQUENCE public.counter_\(helper)",
            "GRANT USAGE ON SEQUENCE public.counter_\(helper) TO \(role)", "CREATE SCHEMA scratch_\(helper)",
            "GRANT CREATE ON SCHEMA scratch_\(helper) TO \(role)", "GRANT EXECUTE ON FUNCTION pg_advisory_lock(bigint) TO \(role)",
        ] {
            try await connection.query(PostgresQuery(unescaped: sql), statement: sql)
        }
        let problems = try await Self.roleProblems(queryURL).joined(separator: "; ")
        for expected in ["member of \(helper)", "counter_\(helper)", "schema scratch_\(helper)", "may run 1 functions"] {
            #expect(problems.contains(expected), "\(problems)")
        }
        // A superuser's rerun puts it right again, and sends the password only as a hash: with
        // every statement of its session logged, the server's log holds the hash, not the password.
        try await connection.query("SET log_statement = 'all'", statement: "log every statement")
        try QueryRole.grant(role: role, password: "secret", on: connection)
        try await connection.query("RESET log_statement", statement: "log as before")
        #expect(try await Self.roleProblems(queryURL) == [])
        let dataDirectory = try await connection.query("SHOW data_directory", statement: "data directory").value(0, 0, as: String.self)
        let logFile = URL(fileURLWithPath: dataDirectory).deletingLastPathComponent().appendingPathComponent("server.log")
        let log = try String(contentsOf: logFile, encoding: .utf8)
        #expect(log.contains("ROLE \(role)") && log.contains("PASSWORD 'SCRAM-SHA-256$"), "the statements are not in \(logFile.path)")
        #expect(!log.contains("PASSWORD 'secret'"))
    }
}
