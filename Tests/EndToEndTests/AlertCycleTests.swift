import Foundation
import Postgres
import TOMDatabase
import TestSupport
import Testing

/// The TOM's alert-cycle test, run through the real executables as separate processes.
@Suite("The alert cycle end to end: PPDB → alert-sender → Kafka → fake-broker → Kafka → broker-poll → PostgreSQL", .serialized)
struct AlertCycleTests {
    struct Topics {
        let wfd = "alerts-wfd-\(UUID().uuidString.prefix(6))"
        let ddfFull = "alerts-ddf-full-\(UUID().uuidString.prefix(6))"
        let ddfLimited = "alerts-ddf-limited-\(UUID().uuidString.prefix(6))"
        let classifications = "classifications-\(UUID().uuidString.prefix(6))"

        var senderArguments: [String] { ["--wfd-topic", wfd, "--ddf-full-topic", ddfFull, "--ddf-limited-topic", ddfLimited] }
    }

    /// A migrated database filled by `ppdb` the way an operator would.
    static func database(_ fill: [[String]]) throws -> (url: String, connection: PostgresConnection, stack: ProcessStack) {
        let url = try PostgresTestServer.shared.makeDatabase("cycle")
        let stack = try ProcessStack(databaseURL: url)
        #expect(try stack.run("ppdb", ["migrate"]).status == 0)
        for command in fill { #expect(try stack.run("ppdb", command).status == 0) }
        return (url, try PostgresConnection(url), stack)
    }

    func start(_ stack: ProcessStack, _ topics: Topics) async throws {
        try await stack.startService(
            "fake-broker",
            [
                "--source", stack.bootstrap, "-t", topics.wfd, topics.ddfFull, "-u", topics.classifications,
                "-g", "e2e-fb", "-X", "session.timeout.ms=6000",
            ])
        try await stack.startService(
            "broker-poll",
            [
                "--server", stack.bootstrap, "--topic", topics.classifications, "--group-id", "e2e-bp",
                "--stats-interval", "5", "-X", "session.timeout.ms=6000",
            ])
    }

    func send(_ stack: ProcessStack, _ topics: Topics, _ window: [String]) throws -> Double {
        let summaryFile = FileManager.default.temporaryDirectory.appendingPathComponent("send-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: summaryFile) }
        let result = try stack.run(
            "alert-sender", window + ["-k", stack.bootstrap, "--do", "--summary-json", summaryFile.path] + topics.senderArguments)
        #expect(result.status == 0, "alert-sender \(window) exited \(result.status)")
        // The window's end, from the run's JSON summary.
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: summaryFile)) as? [String: Any]
        #expect(summary?["outcome"] as? String == "completed")
        return try #require(summary?["window_through"] as? Double)
    }

    func count(_ connection: PostgresConnection, _ query: PostgresQuery) throws -> Int64 {
        try connection.query(query, statement: "check").int64(0, 0) ?? 0
    }

    /// Everything the TOM's alert-cycle test checks after a send, by independent means.
    func checkCycle(_ connection: PostgresConnection, _ stack: ProcessStack, _ topics: Topics, through: Double) async throws {
        let sentWFD = try count(
            connection,
            """
            SELECT count(*) FROM elasticc2_ppdbalert a JOIN elasticc2_ppdbdiaobject o USING (diaobject_id)
             WHERE a.alertsenttimestamp IS NOT NULL AND NOT o.isddf
            """)
        let sentDDF = try count(
            connection,
            """
            SELECT count(*) FROM elasticc2_ppdbalert a JOIN elasticc2_ppdbdiaobject o USING (diaobject_id)
             WHERE a.alertsenttimestamp IS NOT NULL AND o.isddf
            """)
        let sent = sentWFD + sentDDF
        #expect(sent > 0)
        try await TestEnvironment.waitUntil(timeout: .seconds(120), "every classification stored") {
            try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") >= 2 * sent
        }
        #expect(try await stack.messageCount(topics.wfd) == Int(sentWFD))
        #expect(try await stack.messageCount(topics.ddfFull) == Int(sentDDF))
        #expect(try await stack.messageCount(topics.ddfLimited) == Int(sentDDF))
        #expect(try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") == 2 * sent)
        let classifiers = try await connection.query(
            "SELECT array_agg(classifiername ORDER BY classifiername) FROM elasticc2_brokerclassifier", statement: "classifiers")
        #expect(classifiers.string(0, 0) == "{NugentClassifier,RandomSNType}")
        #expect(try count(connection, "SELECT sum(array_length(classid, 1)) FROM elasticc2_brokermessage") == 21 * sent)
        #expect(
            try count(connection, "SELECT count(*) FROM elasticc2_brokermessage WHERE array_length(classid, 1) <> array_length(probability, 1)") == 0)
        // Every answered source waits for update-sources, or has been promoted by it.
        #expect(
            try count(
                connection,
                """
                SELECT count(DISTINCT m.diasource_id) FROM elasticc2_brokermessage m
                 WHERE NOT EXISTS (SELECT 1 FROM elasticc2_brokersourceids b WHERE b.diasource_id = m.diasource_id)
                   AND NOT EXISTS (SELECT 1 FROM elasticc2_diasource s WHERE s.diasource_id = m.diasource_id)
                """) == 0)
        #expect(
            try count(
                connection, "SELECT count(*) FROM (SELECT alert_id, classifier_id FROM elasticc2_brokermessage GROUP BY 1, 2 HAVING count(*) > 1) d")
                == 0)
        #expect(try count(connection, "SELECT count(DISTINCT alert_id) FROM elasticc2_brokermessage") == sent)
        #expect(
            try count(
                connection,
                """
                SELECT count(*) FROM elasticc2_ppdbalert a JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
                 WHERE (a.alertsenttimestamp IS NULL AND s.midpointtai <= \(through))
                    OR (a.alertsenttimestamp IS NOT NULL AND s.midpointtai > \(through))
                """) == 0)
    }

    /// Runs `elasticc-api serve` on the cycle's database with the user `apibroker` (a Broker), and
    /// the TOM cycle's REST classifier, through `tom_client.py`; returns the messages loaded.
    func pushAsAPIClassifier(_ url: String, _ stack: ProcessStack, _ topics: Topics, alerts: Int) async throws -> Int {
        let passwordFile = try TestEnvironment.temporaryFile("testing\n", prefix: "apibroker")
        #expect(try stack.run("elasticc-api", ["add-user", "apibroker", "--password-file", passwordFile, "--broker"]).status == 0)
        let ready = FileManager.default.temporaryDirectory.appendingPathComponent("api-\(UUID().uuidString).ready").path
        let server = TestEnvironment.launch([
            TestEnvironment.executable("elasticc-api"), "serve", "--listen", "127.0.0.1:0", "--db", url, "--ready-file", ready, "--log-level",
            "warning",
        ])
        try server.run()
        defer {
            kill(server.processIdentifier, SIGTERM)
            server.waitUntilExit()
        }
        try await TestEnvironment.waitUntil(timeout: .seconds(30), "elasticc-api listening") { FileManager.default.fileExists(atPath: ready) }
        let address = try String(contentsOfFile: ready, encoding: .utf8).split(separator: " ")[1].trimmingCharacters(in: .whitespacesAndNewlines)
        let output = try await TestEnvironment.runPython(
            script: "api_classifier.py",
            arguments: [
                try TestEnvironment.reference("tom_desc").path, "http://\(address)", "apibroker", "testing",
                stack.bootstrap, String(alerts), try TestEnvironment.reference("schema/elasticc.v0_9_1.alert.avsc").path,
                "apiclassifier-\(UUID().uuidString)", topics.wfd, topics.ddfFull,
            ], input: "")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(result["statuses"] as? [Int] == [201])
        return result["loaded"] as? Int ?? 0
    }

    /// The counts the TOM's cycle test asserts: alerts sent, broker messages, classifiers,
    /// classifications, source ids waiting, and the TOM's objects, sources and forced sources.
    func tomCounts(_ connection: PostgresConnection) throws -> [Int64] {
        let result = try connection.query(
            """
            SELECT (SELECT count(*) FROM elasticc2_ppdbalert WHERE alertsenttimestamp IS NOT NULL),
                   (SELECT count(*) FROM elasticc2_brokermessage), (SELECT count(*) FROM elasticc2_brokerclassifier),
                   (SELECT coalesce(sum(array_length(classid, 1)), 0) FROM elasticc2_brokermessage),
                   (SELECT count(*) FROM elasticc2_brokersourceids), (SELECT count(*) FROM elasticc2_diaobject),
                   (SELECT count(*) FROM elasticc2_diasource), (SELECT count(*) FROM elasticc2_diaforcedsource)
            """, statement: "TOM counts")
        return try (0..<8).map { try result.value(0, $0, as: Int64.self) }
    }

    /// A fingerprint of a table's rows, for comparing two databases row for row. The object-info
    /// identities count from the table's first: the TOM's test database drew them from a
    /// sequence earlier runs had advanced (its snapshot starts at 557), ours from a fresh one.
    func fingerprint(_ url: String, _ table: String) throws -> String {
        let row =
            table == "elasticc2_diaobjectinfo"
            ? "(to_jsonb(t) - '_id' || jsonb_build_object('_id', t._id - (SELECT min(_id) FROM \(table))))::text" : "t::text"
        return try TestEnvironment.run([
            "psql", url, "-Atc", "SELECT count(*) || ':' || md5(string_agg(\(row), '|' ORDER BY \(row))) FROM \(table) t",
        ])
    }

    @Test("The TOM's cycle on its snapshot: -d 60578 and update-sources, then -a 100 and update-sources, with the TOM's numbers")
    func tomSnapshotCycle() async throws {
        let (url, connection, stack) = try Self.database([["restore", "--ppdb-only", PostgresTestServer.snapshotPath], ["reset-sent"]])
        let topics = Topics()
        try await start(stack, topics)
        let first = try send(stack, topics, ["-d", "60578"])
        #expect(first == 60578)
        try await checkCycle(connection, stack, topics, through: first)
        #expect(try tomCounts(connection) == [545, 1090, 2, 11445, 545, 0, 0, 0])
        #expect(try stack.run("ppdb", ["update-sources"]).status == 0)
        #expect(try tomCounts(connection) == [545, 1090, 2, 11445, 0, 102, 545, 4242])
        let second = try send(stack, topics, ["-a", "100"])
        try await checkCycle(connection, stack, topics, through: second)
        #expect(try tomCounts(connection) == [650, 1300, 2, 13650, 105, 102, 545, 4242])
        let update = try stack.run("ppdb", ["update-sources"])
        #expect(update.status == 0)
        #expect(update.output.contains("new: 29 objects, 105 sources, 1523 forced sources"), "\(update.output)")
        #expect(try tomCounts(connection) == [650, 1300, 2, 13650, 0, 131, 650, 5765])
        // Row for row the TOM's end state, restored from the snapshot into a database of its own.
        let reference = try PostgresTestServer.shared.makeDatabase("tomend")
        _ = try await TestEnvironment.run([TestEnvironment.executable("ppdb"), "migrate", "--db", reference, "--log-level", "warning"])
        _ = try await TestEnvironment.run([
            TestEnvironment.executable("ppdb"), "restore", PostgresTestServer.snapshotPath, "--db", reference, "--log-level", "warning",
        ])
        for table in ["elasticc2_diaobject", "elasticc2_diasource", "elasticc2_diaforcedsource", "elasticc2_diaobjectinfo"] {
            let (ours, theirs) = (try fingerprint(url, table), try fingerprint(reference, table))
            #expect(ours == theirs, "\(table)")
        }

        // The TOM cycle test's REST broker: one apiclassifier message per alert, through elasticc-api.
        let pushed = try await pushAsAPIClassifier(url, stack, topics, alerts: 650)
        #expect(pushed == 650)
        let api = try await connection.query(
            """
            SELECT (SELECT count(*) FROM elasticc2_brokerclassifier), (SELECT sum(array_length(classid, 1)) FROM elasticc2_brokermessage),
                   count(*), count(*) FILTER (WHERE m.classid = '{111,112}' AND m.probability = '{0.25,0.75}'),
                   count(*) FILTER (WHERE m.msghdrtimestamp - m.brokeringesttimestamp BETWEEN interval '0' AND interval '5 seconds'
                                      AND m.descingesttimestamp - m.msghdrtimestamp BETWEEN interval '0' AND interval '5 seconds')
              FROM elasticc2_brokermessage m JOIN elasticc2_brokerclassifier c USING (classifier_id)
             WHERE c.brokername = 'apiclassifier' AND c.brokerversion = '1.0' AND c.classifiername = 'AlwaysTheSame'
               AND c.classifierparams = '0.5 111, 0.75 112'
            """, statement: "apiclassifier")
        #expect(try (0..<5).map { try api.value(0, $0, as: Int.self) } == [3, 14950, 650, 650, 650])
    }

    @Test("The services run as the role ppdb grant-service-role makes: the whole cycle works, and that role can change no table's shape")
    func leastPrivilege() async throws {
        let (ownerURL, connection, _) = try Self.database([["restore", "--ppdb-only", PostgresTestServer.snapshotPath], ["reset-sent"]])
        let role = "svc_\(UUID().uuidString.prefix(8).lowercased())"
        let passwordFile = try TestEnvironment.temporaryFile("s3rvice\n", prefix: "service-password")
        defer { try? FileManager.default.removeItem(atPath: passwordFile) }
        let granted = try await TestEnvironment.execute([
            TestEnvironment.executable("ppdb"), "grant-service-role", role, "--password-file", passwordFile, "--db", ownerURL, "--log-level",
            "warning",
        ])
        #expect(granted.status == 0 && granted.stdout.contains("service role \(role)"), "\(granted)")
        var components = try #require(URLComponents(string: ownerURL))
        components.user = role
        components.password = "s3rvice"
        let serviceURL = try #require(components.string)

        // The cycle, every tool as the service role.
        let stack = try ProcessStack(databaseURL: serviceURL)
        let topics = Topics()
        try await start(stack, topics)
        try await checkCycle(connection, stack, topics, through: try send(stack, topics, ["-d", "60578"]))
        #expect(try stack.run("ppdb", ["update-sources"]).status == 0)
        #expect(try tomCounts(connection) == [545, 1090, 2, 11445, 0, 102, 545, 4242])
        // elasticc-api as the service role keeps its page sums (and sessions, pushes) in our tables.
        try await stack.startService("elasticc-api", ["serve", "--listen", "127.0.0.1:0", "--summary-settle", "0"])
        try await TestEnvironment.waitUntil(timeout: .seconds(60), "the page sums written as the service role") {
            try await connection.query("SELECT coalesce(sum(messages), 0) FROM elasticcstream_nightly_answers", statement: "sums").value(
                0, 0, as: Int.self) == 1090
        }

        // It owns nothing: no table dropped, altered or created; a later migration's table is its to write.
        let service = try PostgresConnection(serviceURL)
        for sql in ["DROP TABLE elasticc2_brokermessage", "ALTER TABLE elasticc2_ppdbalert ADD COLUMN x int", "CREATE TABLE public.mine (x int)"] {
            await #expect(throws: PostgresError.self, "\(sql)") { try await service.query(PostgresQuery(unescaped: sql), statement: sql) }
        }
        try await connection.query(
            "CREATE TABLE public.later_migration (id bigint GENERATED BY DEFAULT AS IDENTITY, x int)", statement: "a later table")
        try await service.query("INSERT INTO public.later_migration (x) VALUES (1)", statement: "write the later table")
    }

    @Test("DDF variant: snapshot objects flagged DDF fill the full and limited topics")
    func ddfSnapshotCycle() async throws {
        let (_, connection, stack) = try Self.database([["restore", "--ppdb-only", PostgresTestServer.snapshotPath], ["reset-sent"]])
        try await connection.query("UPDATE elasticc2_ppdbdiaobject SET isddf = (diaobject_id % 4 = 0)", statement: "flag DDF")
        let topics = Topics()
        try await start(stack, topics)
        try await checkCycle(connection, stack, topics, through: try send(stack, topics, ["-d", "60578"]))
        try await checkCycle(connection, stack, topics, through: try send(stack, topics, ["-a", "100"]))
        #expect(try await stack.messageCount(topics.ddfFull) > 0)
    }

    @Test("Synthetic data with DDF objects, over three nights")
    func synthCycle() async throws {
        let (_, connection, stack) = try Self.database([
            ["synth", "--objects", "400", "--seed", "5", "--ddf-fraction", "0.1", "--start-mjd", "60500"]
        ])
        let topics = Topics()
        try await start(stack, topics)
        try await checkCycle(connection, stack, topics, through: try send(stack, topics, ["-d", "60540"]))
        for _ in 0..<2 {
            try await checkCycle(connection, stack, topics, through: try send(stack, topics, ["-a", "10"]))
        }
        #expect(try await stack.messageCount(topics.ddfLimited) > 0)
    }
}
