import Foundation
import PPDB
import Postgres
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
        #expect(
            try count(connection, "SELECT count(*) FROM elasticc2_brokersourceids")
                == count(connection, "SELECT count(DISTINCT diasource_id) FROM elasticc2_brokermessage"))
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

    @Test("The TOM's cycle on its snapshot: -d 60578, then -a 100")
    func tomSnapshotCycle() async throws {
        let (_, connection, stack) = try Self.database([["restore", "--ppdb-only", PostgresTestServer.snapshotPath], ["reset-sent"]])
        let topics = Topics()
        try await start(stack, topics)
        let first = try send(stack, topics, ["-d", "60578"])
        #expect(first == 60578)
        try await checkCycle(connection, stack, topics, through: first)
        let second = try send(stack, topics, ["-a", "100"])
        try await checkCycle(connection, stack, topics, through: second)
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
