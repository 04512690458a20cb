import Foundation
import Kafka
import Logging
import PPDBLoading
import Postgres
import TOMDatabase
import TestSupport
import Testing

@testable import AlertSending

/// The TOM's snapshot PPDB sent through the mock cluster, checked by fastavro and by SQL.
@Suite("alert-sender against the TOM snapshot, PostgreSQL and the mock cluster", .serialized)
struct AlertSenderTests {
    let logger = KafkaTestCluster.logger

    /// A migrated database holding the TOM snapshot with every alert unsent.
    static func snapshotDatabase() throws -> (url: String, connection: PostgresConnection) {
        let url = try PostgresTestServer.shared.makeDatabase("sender")
        let connection = try PostgresConnection(url)
        _ = try Migrator.migrate(connection, logger: KafkaTestCluster.logger)
        try SnapshotRestorer.restore(dump: PostgresTestServer.snapshotPath, conninfo: url)
        try PPDBStatistics.resetSent(connection)
        return (url, connection)
    }

    static func freshTopics() -> AlertTopics {
        AlertTopics(
            wfd: KafkaTestCluster.uniqueName("wfd"), ddfFull: KafkaTestCluster.uniqueName("ddf-full"),
            ddfLimited: KafkaTestCluster.uniqueName("ddf-limited"))
    }

    func send(
        _ url: String, _ mode: SendWindow.Mode, topics: AlertTopics, cluster: MockCluster = KafkaTestCluster.shared,
        dryRun: Bool = false, properties: [String: String] = [:]
    ) async throws -> SendSummary {
        let producer = try KafkaProducer(
            configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers, properties: properties), logger: logger)
        let settings = AlertSenderSettings(mode: mode, topics: topics, flushEvery: 100, dryRun: dryRun)
        return try await AlertSender(settings: settings, conninfo: url, producer: producer, logger: logger).run()
    }

    func messageCount(_ topic: String, cluster: MockCluster = KafkaTestCluster.shared) async throws -> Int {
        try await KafkaTestCluster.messageCount(topic, bootstrap: cluster.bootstrapServers)
    }

    struct ExpectedAlert: Equatable {
        var previousSources: [Int64]
        var previousForced: [Int64]
    }

    /// The TOM's rules computed independently in SQL, for every alert marked sent.
    static func expectedAlerts(_ connection: PostgresConnection, historyDays: Double) throws -> [Int64: ExpectedAlert] {
        let result = try connection.query(
            """
            WITH sent AS (
                SELECT a.alert_id, s.diaobject_id, s.midpointtai AS t
                  FROM elasticc2_ppdbalert a JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
                 WHERE a.alertsenttimestamp IS NOT NULL),
            firsts AS (SELECT diaobject_id, min(midpointtai) AS first FROM elasticc2_ppdbdiasource GROUP BY 1)
            SELECT x.alert_id,
                   coalesce((SELECT array_agg(p.diasource_id ORDER BY p.midpointtai, p.diasource_id) FROM elasticc2_ppdbdiasource p
                              WHERE p.diaobject_id = x.diaobject_id AND p.midpointtai >= x.t - \(historyDays) AND p.midpointtai < x.t), '{}'),
                   CASE WHEN x.t - f.first < 0.5 THEN '{}'::bigint[] ELSE
                   coalesce((SELECT array_agg(fs.diaforcedsource_id ORDER BY fs.midpointtai, fs.diaforcedsource_id)
                               FROM elasticc2_ppdbdiaforcedsource fs
                              WHERE fs.diaobject_id = x.diaobject_id AND fs.midpointtai >= x.t - \(historyDays)
                                AND fs.midpointtai >= f.first - 30 AND fs.midpointtai < x.t), '{}') END
              FROM sent x JOIN firsts f USING (diaobject_id)
            """, statement: "expected alert contents")
        func ids(_ text: String?) -> [Int64] {
            guard let text, text.count > 2 else { return [] }
            return text.dropFirst().dropLast().split(separator: ",").map { Int64($0)! }
        }
        var expected: [Int64: ExpectedAlert] = [:]
        for row in 0..<result.rowCount {
            expected[try result.value(row, 0, as: Int64.self)] = ExpectedAlert(
                previousSources: ids(result.string(row, 1)), previousForced: ids(result.string(row, 2)))
        }
        return expected
    }

    /// Every alert on the topics, decoded by fastavro in a confluent-kafka consumer.
    func consumeWithFastavro(_ topics: [String], count: Int) throws -> [[String: Any]] {
        let output = try TestEnvironment.runPython(
            script: "kafka_peer.py",
            arguments: [
                "alerts", KafkaTestCluster.shared.bootstrapServers, String(count),
                try TestEnvironment.reference("schema/elasticc.v0_9_1.alert.avsc").path, KafkaTestCluster.uniqueName("pycheck"),
            ] + topics,
            input: "")
        return output.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    func checkContents(_ messages: [[String: Any]], against expected: [Int64: ExpectedAlert]) throws {
        var seen = Set<Int64>()
        for message in messages {
            let alertId = (message["alertId"] as! NSNumber).int64Value
            seen.insert(alertId)
            let want = try #require(expected[alertId], "alert \(alertId) on the topic but not marked sent")
            #expect((message["prvDiaSources"] as? [NSNumber])?.map(\.int64Value) == want.previousSources, "alert \(alertId) previous sources")
            #expect((message["prvDiaForcedSources"] as? [NSNumber])?.map(\.int64Value) == want.previousForced, "alert \(alertId) forced sources")
            #expect((message["diaSourceId"] as! NSNumber).int64Value == alertId)
            #expect(message["key"] as? String == "\((message["objectId"] as! NSNumber).int64Value)")
        }
        #expect(seen == Set(expected.keys))
    }

    @Test("-d 60578 then -a 100: the TOM's cycle, every message checked against SQL")
    func snapshotCycle() async throws {
        let (url, connection) = try Self.snapshotDatabase()
        let topics = Self.freshTopics()

        let first = try await send(url, .throughDay(60578), topics: topics)
        #expect(first.outcome == .completed)
        let sentAfterFirst = try await connection.query(
            """
            SELECT count(*) FILTER (WHERE a.alertsenttimestamp IS NOT NULL),
                   count(*) FILTER (WHERE a.alertsenttimestamp IS NOT NULL AND s.midpointtai > 60578),
                   count(*) FILTER (WHERE a.alertsenttimestamp IS NULL AND s.midpointtai <= 60578)
              FROM elasticc2_ppdbalert a JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
            """, statement: "sent after -d")
        let marked = Int(try sentAfterFirst.value(0, 0, as: Int64.self))
        #expect(marked == first.alertsSent && marked > 0)
        #expect(try sentAfterFirst.int64(0, 1) == 0)
        #expect(try sentAfterFirst.int64(0, 2) == 0)
        #expect(try await messageCount(topics.wfd) == marked)

        let second = try await send(url, .addedDays(100), topics: topics)
        let window = try #require(second.window)
        let total = first.alertsSent + second.alertsSent
        #expect(try await messageCount(topics.wfd) == total)
        let outside = try await connection.query(
            """
            SELECT count(*) FILTER (WHERE a.alertsenttimestamp IS NOT NULL AND s.midpointtai > \(window.through)),
                   count(*) FILTER (WHERE a.alertsenttimestamp IS NULL AND s.midpointtai <= \(window.through))
              FROM elasticc2_ppdbalert a JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
            """, statement: "sent after -a")
        #expect(try outside.int64(0, 0) == 0)
        #expect(try outside.int64(0, 1) == 0)

        let messages = try consumeWithFastavro([topics.wfd], count: total)
        #expect(messages.count == total)
        try checkContents(messages, against: Self.expectedAlerts(connection, historyDays: 365))
        #expect(messages.contains { ($0["prvDiaSources"] as? [Any])?.isEmpty == true })
        #expect(messages.contains { ($0["prvDiaForcedSources"] as? [Any])?.isEmpty == false })
        #expect(messages.allSatisfy { $0["hostgal_mag_Y"] != nil })
    }

    @Test("DDF objects' alerts go to the full and limited topics with their histories")
    func ddfRouting() async throws {
        let (url, connection) = try Self.snapshotDatabase()
        try await connection.query("UPDATE elasticc2_ppdbdiaobject SET isddf = (diaobject_id % 3 = 0)", statement: "flag DDF")
        let topics = Self.freshTopics()
        let summary = try await send(url, .throughDay(60700), topics: topics)
        let counts = try await connection.query(
            """
            SELECT count(*) FILTER (WHERE o.isddf), count(*) FILTER (WHERE NOT o.isddf)
              FROM elasticc2_ppdbalert a JOIN elasticc2_ppdbdiaobject o ON o.diaobject_id = a.diaobject_id
             WHERE a.alertsenttimestamp IS NOT NULL
            """, statement: "sent by kind")
        let ddf = Int(try counts.value(0, 0, as: Int64.self))
        let wfd = Int(try counts.value(0, 1, as: Int64.self))
        #expect(ddf > 0 && wfd > 0 && ddf + wfd == summary.alertsSent)
        #expect(try await messageCount(topics.wfd) == wfd)
        #expect(try await messageCount(topics.ddfFull) == ddf)
        #expect(try await messageCount(topics.ddfLimited) == ddf)

        let full = try consumeWithFastavro([topics.ddfFull], count: ddf)
        let limited = try consumeWithFastavro([topics.ddfLimited], count: ddf)
        let wfdMessages = try consumeWithFastavro([topics.wfd], count: wfd)
        let expectedFull = try Self.expectedAlerts(connection, historyDays: 365)
        let expectedLimited = try Self.expectedAlerts(connection, historyDays: 30)
        try checkContents(full, against: expectedFull.filter { id, _ in full.contains { ($0["alertId"] as! NSNumber).int64Value == id } })
        try checkContents(limited, against: expectedLimited.filter { id, _ in limited.contains { ($0["alertId"] as! NSNumber).int64Value == id } })
        #expect(Set(full.map { ($0["alertId"] as! NSNumber).int64Value }) == Set(limited.map { ($0["alertId"] as! NSNumber).int64Value }))
        #expect(full.allSatisfy { ($0["objectId"] as! NSNumber).int64Value % 3 == 0 })
        #expect(wfdMessages.allSatisfy { ($0["objectId"] as! NSNumber).int64Value % 3 != 0 })
        let longer = zip(
            full.sorted { ($0["alertId"] as! NSNumber).int64Value < ($1["alertId"] as! NSNumber).int64Value },
            limited.sorted { ($0["alertId"] as! NSNumber).int64Value < ($1["alertId"] as! NSNumber).int64Value }
        )
        .filter { ($0.0["prvDiaForcedSources"] as! [Any]).count > ($0.1["prvDiaForcedSources"] as! [Any]).count }
        #expect(!longer.isEmpty, "the limited topic carries less history")
    }

    @Test("An alert no message can be built for (its source has no object) stays unsent and is reported")
    func unbuildableAlertsStayUnsent() async throws {
        let (url, connection) = try Self.snapshotDatabase()
        let topics = Self.freshTopics()
        // The TOM's schema allows it: diasource.diaobject_id is nullable.
        try await connection.query(
            """
            INSERT INTO elasticc2_ppdbdiasource (diasource_id, midpointtai, filtername, ra, decl, psflux, psfluxerr, snr, diaobject_id)
            VALUES (900000001, 60570.5, 'r', 10, -5, 100, 10, 10, NULL), (900000002, 60571.5, 'g', 10, -5, 100, 10, 10, NULL)
            """, statement: "sources without objects")
        try await connection.query(
            "INSERT INTO elasticc2_ppdbalert (alert_id, diasource_id) VALUES (900000001, 900000001), (900000002, 900000002)",
            statement: "their alerts")
        let summary = try await send(url, .throughDay(60578), topics: topics)
        #expect(summary.outcome == .completed && summary.alertsSent > 0)
        #expect(summary.alertsUnbuildable == 2)
        #expect(summary.unbuildableAlertIds.sorted() == [900_000_001, 900_000_002])
        let unsent = try await connection.query(
            "SELECT alert_id FROM elasticc2_ppdbalert WHERE alertsenttimestamp IS NULL AND alert_id IN (900000001, 900000002) ORDER BY 1",
            statement: "still unsent")
        #expect(try unsent.rows.map { try $0.decode(Int64.self, at: 0) } == [900_000_001, 900_000_002])
        // Every other alert of the window went out and was marked.
        #expect(try await messageCount(topics.wfd) == summary.alertsSent)
        let json = try JSONSerialization.jsonObject(with: try summary.json(topics: topics)) as! [String: Any]
        #expect(json["alerts_unbuildable"] as? Int == 2)

        // The executable, run again over the window: the two are still left unsent, named in a
        // warning, counted in the metrics file, and the run exits non-zero.
        let metricsFile = FileManager.default.temporaryDirectory.appendingPathComponent("unbuildable-\(UUID().uuidString).prom").path
        defer { try? FileManager.default.removeItem(atPath: metricsFile) }
        let run = try await TestEnvironment.execute([
            TestEnvironment.executable("alert-sender"), "-d", "60578", "--do", "--db", url, "-k", KafkaTestCluster.shared.bootstrapServers,
            "--wfd-topic", topics.wfd, "--ddf-full-topic", topics.ddfFull, "--ddf-limited-topic", topics.ddfLimited,
            "--metrics-file", metricsFile, "--log-level", "warning",
        ])
        #expect(run.status != 0)
        #expect(run.stderr.contains("2 alerts were left unsent") && run.stderr.contains("900000001, 900000002"), "\(run.stderr)")
        let metrics = try String(contentsOfFile: metricsFile, encoding: .utf8)
        #expect(metrics.contains("elasticc_alertsender_alerts_unbuildable 2"), "\(metrics)")

        // The dump reports them too, rather than leaving them out of the files quietly.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("unbuildable-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let dumped = try await AlertDumper(conninfo: url, directory: directory.path, clobber: false).dump(start: 60560, through: 60578)
        #expect(dumped.unbuildableAlertIds.sorted() == [900_000_001, 900_000_002])
    }

    @Test("A dry run sends and marks nothing, and reports per topic")
    func dryRun() async throws {
        let (url, connection) = try Self.snapshotDatabase()
        let topics = Self.freshTopics()
        let summary = try await send(url, .throughDay(60578), topics: topics, dryRun: true)
        #expect(summary.outcome == .dryRun)
        #expect(summary.messagesPerTopic[topics.wfd] == summary.alertsInWindow.wfd && summary.alertsInWindow.wfd > 0)
        #expect(try PPDBStatistics.read(connection).alertsSent == 0)
        #expect(try await messageCount(topics.wfd) == 0)
    }

    @Test("A delivery the cluster refuses marks nothing and fails the run")
    func deliveryFailure() async throws {
        let (url, connection) = try Self.snapshotDatabase()
        let cluster = try MockCluster(brokers: 1, logger: logger)
        let topics = Self.freshTopics()
        try cluster.createTopic(topics.wfd, partitions: 2)
        cluster.pushRequestErrors(.produce, errorCodes: Array(repeating: 29, count: 1000))  // TOPIC_AUTHORIZATION_FAILED
        await #expect(throws: AlertSendError.self) {
            _ = try await send(url, .throughDay(60578), topics: topics, cluster: cluster, properties: ["message.timeout.ms": "5000"])
        }
        #expect(try PPDBStatistics.read(connection).alertsSent == 0)

        // Once the cluster accepts again, a rerun sends exactly what is missing.
        cluster.clearRequestErrors(.produce)
        let rerun = try await send(url, .throughDay(60578), topics: topics, cluster: cluster)
        #expect(rerun.outcome == .completed && rerun.alertsSent > 0)
        #expect(try PPDBStatistics.read(connection).alertsSent == Int64(rerun.alertsSent))
    }

    @Test("--each-day-at: one night a UTC day, recorded first; a restart the same day sends nothing more; a failed night shows in /ready")
    func nightlySends() async throws {
        let (url, connection) = try Self.snapshotDatabase()
        let topics = Self.freshTopics()
        let today = NightlySends.Schedule.day(of: Date())
        func launch(_ port: Int, database: String, kafka: [String]) throws -> Process {
            let process = TestEnvironment.launch(
                [
                    TestEnvironment.executable("alert-sender"), "-a", "1", "--do", "--each-day-at", "00:00", "--update-sources", "--db", database,
                    "--wfd-topic", topics.wfd, "--ddf-full-topic", topics.ddfFull, "--ddf-limited-topic", topics.ddfLimited,
                    "--metrics-listen", "127.0.0.1:\(port)", "--log-level", "warning",
                ] + kafka)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        func ready(_ port: Int) async -> (code: Int, body: String) {
            (try? await PrometheusScrape.status("http://127.0.0.1:\(port)/ready")) ?? (0, "")
        }
        func sent() throws -> Int64 { try PPDBStatistics.read(connection).alertsSent }
        let kafka = ["-k", KafkaTestCluster.shared.bootstrapServers]

        // Today's time (00:00) has passed and nothing is recorded: the night goes at once.
        let port = try await PrometheusScrape.freePort()
        let first = try launch(port, database: url, kafka: kafka)
        try await TestEnvironment.waitUntil(timeout: .seconds(120), "the first night completed") {
            await ready(port).body.contains("the night of \(today) completed")
        }
        #expect(await ready(port).code == 200)
        let afterFirst = try sent()
        #expect(afterFirst > 0)
        let row = try await connection.query(
            "SELECT outcome, alerts_sent, detail FROM elasticcstream_nightly_send WHERE night = \(today)::date", statement: "today's night")
        let (outcome, alerts, detail) = try row.single((String, Int64, String).self)
        #expect(outcome == "completed" && alerts == afterFirst && detail.contains("update-sources:"), "\(detail)")
        #expect(try await messageCount(topics.wfd) + messageCount(topics.ddfFull) > 0)
        first.terminate()
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)

        // Restarted the same day: it sees the night recorded and sends nothing more.
        let again = try launch(port, database: url, kafka: kafka)
        try await TestEnvironment.waitUntil(timeout: .seconds(60), "the restart read today's night") {
            await ready(port).body.contains("the night of \(today) completed")
        }
        #expect(try sent() == afterFirst)
        #expect(
            try await connection.query("SELECT count(*) FROM elasticcstream_nightly_send", statement: "nights").value(0, 0, as: Int.self) == 1)
        again.terminate()
        again.waitUntilExit()
        #expect(again.terminationStatus == 0)

        // A night whose send fails (Kafka refuses every produce) is recorded failed, /ready 503
        // names it, and it is not sent again.
        let (failingURL, failingConnection) = try Self.snapshotDatabase()
        let cluster = try MockCluster(brokers: 1, logger: logger)
        cluster.pushRequestErrors(.produce, errorCodes: Array(repeating: 29, count: 1000))  // TOPIC_AUTHORIZATION_FAILED
        let failing = try launch(port, database: failingURL, kafka: ["-k", cluster.bootstrapServers, "-X", "message.timeout.ms=3000"])
        try await TestEnvironment.waitUntil(timeout: .seconds(120), "the failed night in /ready") {
            let answer = await ready(port)
            return answer.code == 503 && answer.body.contains("the night of \(today) failed")
        }
        let failed = try await failingConnection.query(
            "SELECT outcome FROM elasticcstream_nightly_send WHERE night = \(today)::date", statement: "failed night")
        #expect(try failed.single(String.self) == "failed")
        #expect(try PPDBStatistics.read(failingConnection).alertsSent == 0)
        failing.terminate()
        failing.waitUntilExit()
    }

    @Test("A read that fails while a mark is in flight: the lock is held until the mark ends, so no second run sends those alerts again")
    func failedReadWaitsForTheMarkInFlight() async throws {
        let (url, connection) = try Self.snapshotDatabase()
        let topics = Self.freshTopics()
        struct InjectedReadFailure: Error {}
        // Marking blocks behind this lock; reading does not.
        let blocker = try await PostgresConnection.open(url, applicationName: "mark blocker")
        try await blocker.query("BEGIN", statement: "begin")
        try await blocker.query("LOCK TABLE elasticc2_ppdbalert IN SHARE MODE", statement: "block marking")
        let producer = try KafkaProducer(
            configuration: KafkaConfiguration(bootstrapServers: KafkaTestCluster.shared.bootstrapServers), logger: logger)
        let failing = AlertSender(
            settings: AlertSenderSettings(mode: .throughDay(60578), topics: topics, flushEvery: 100),
            conninfo: url, producer: producer, logger: logger,
            beforeRead: { batch in if batch == 1 { throw InjectedReadFailure() } })
        async let failed: Result<SendSummary, any Error> = {
            do { return .success(try await failing.run()) } catch { return .failure(error) }
        }()
        let observer = try await PostgresConnection.open(url)
        try await TestEnvironment.waitUntil(timeout: .seconds(30), "the first mark waits for the lock") {
            try await observer.query(
                """
                SELECT count(*) FROM pg_stat_activity
                 WHERE application_name = 'alert-sender mark' AND wait_event_type = 'Lock' AND query LIKE 'UPDATE elasticc2_ppdbalert%'
                """, statement: "mark waiting"
            ).value(0, 0, as: Int.self) == 1
        }
        // The read has failed by now, but its run still holds the lock while its mark is in flight.
        #expect(try await send(url, .throughDay(60578), topics: topics).outcome == .anotherRunHoldsTheLock)
        #expect(try await messageCount(topics.wfd) == 100)
        try await blocker.query("COMMIT", statement: "unblock marking")
        let outcome = await failed
        #expect(throws: InjectedReadFailure.self) { try outcome.get() }
        #expect(try PPDBStatistics.read(connection).alertsSent == 100)
        let rerun = try await send(url, .throughDay(60578), topics: topics)
        #expect(rerun.outcome == .completed && rerun.alertsSent == 445)
        #expect(try await messageCount(topics.wfd) == 545)
    }

    @Test("Every alert gets its own alertsenttimestamp, inside the run, as the TOM's graphs need")
    func distinctSentTimestamps() async throws {
        let (url, connection) = try Self.snapshotDatabase()
        let before = try await connection.query("SELECT clock_timestamp()", statement: "start").value(0, 0, as: PostgresTimestamp.self)
        let summary = try await send(url, .throughDay(60578), topics: Self.freshTopics())
        let after = try await connection.query("SELECT clock_timestamp()", statement: "end").value(0, 0, as: PostgresTimestamp.self)
        #expect(summary.alertsSent == 545)
        let stamps = try await connection.query(
            """
            SELECT count(*), count(DISTINCT alertsenttimestamp), min(alertsenttimestamp), max(alertsenttimestamp)
              FROM elasticc2_ppdbalert WHERE alertsenttimestamp IS NOT NULL
            """, statement: "stamps")
        #expect(try stamps.value(0, 0, as: Int.self) == 545)
        #expect(try stamps.value(0, 1, as: Int.self) == 545)
        #expect(try stamps.value(0, 2, as: PostgresTimestamp.self) >= before)
        #expect(try stamps.value(0, 3, as: PostgresTimestamp.self) <= after)
    }

    @Test("Status files as the TOM writes them: the last run's removed at start, one value each, no newline")
    func statusFiles() async throws {
        let (url, _) = try Self.snapshotDatabase()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("status-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["alertsendfinish", "alertssentupdate", "alertssent"] {
            try "stale".write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let producer = try KafkaProducer(
            configuration: KafkaConfiguration(bootstrapServers: KafkaTestCluster.shared.bootstrapServers), logger: logger)
        let settings = AlertSenderSettings(mode: .throughDay(60578), topics: Self.freshTopics(), flushEvery: 100, statusDirectory: directory.path)
        let summary = try await AlertSender(settings: settings, conninfo: url, producer: producer, logger: logger).run()
        #expect(summary.alertsSent == 545)
        func read(_ name: String) -> String? { try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8) }
        let isoSeconds = #/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/#
        #expect(read("alertsendstart").map { $0.wholeMatch(of: isoSeconds) != nil } == true)
        #expect(read("alertsendfinish").map { $0.wholeMatch(of: isoSeconds) != nil } == true)
        #expect(read("alertssent") == "545")
        #expect(read("alertssentupdate") == nil)
    }

    @Test("A second run while one holds the lock sends nothing")
    func concurrentRunDoesNotSend() async throws {
        let (url, connection) = try Self.snapshotDatabase()
        let holder = try PostgresConnection(url)
        #expect(try await holder.tryAdvisoryLock(AlertSender.lockKey))
        let topics = Self.freshTopics()
        let summary = try await send(url, .throughDay(60578), topics: topics)
        #expect(summary.outcome == .anotherRunHoldsTheLock)
        #expect(try PPDBStatistics.read(connection).alertsSent == 0)
        #expect(try await messageCount(topics.wfd) == 0)
        try await holder.advisoryUnlock(AlertSender.lockKey)
        #expect(try await send(url, .throughDay(60578), topics: topics).outcome == .completed)
    }

    @Test("Dump files hold one decodable alert per member, one tar per night")
    func dumpFilesDecode() async throws {
        let (url, connection) = try Self.snapshotDatabase()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dump-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let counts = try await AlertDumper(conninfo: url, directory: directory, clobber: false).dump(start: 60560, through: 60600).alertsPerNight
        await #expect(throws: AlertSendError.self) {
            try await AlertDumper(conninfo: url, directory: directory, clobber: false).dump(start: 60560, through: 60600)
        }
        try await AlertDumper(conninfo: url, directory: directory, clobber: true).dump(start: 60560, through: 60600)
        let expected = try await connection.query(
            """
            SELECT count(*) FROM elasticc2_ppdbalert a JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
             WHERE s.midpointtai >= 60560 AND s.midpointtai < 60601
            """, statement: "alerts in dump window"
        ).value(0, 0, as: Int64.self)
        let output = try await TestEnvironment.runPython(
            script: "kafka_peer.py", arguments: ["dump", directory, try TestEnvironment.reference("schema/elasticc.v0_9_1.alert.avsc").path],
            input: "")
        let lines = output.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(lines.count == Int(expected) && expected > 0)
        #expect(counts.values.reduce(0, +) == Int(expected))
        for line in lines {
            let mjd = Int((line["midPointTai"] as! NSNumber).doubleValue.rounded(.down))
            #expect(line["file"] as? String == "\(mjd).tar")
            #expect(line["member"] as? String == "\((line["alertId"] as! NSNumber).int64Value).avro")
        }
    }

    @Test("dump_elasticc2_alert_tars's command line: a dry run without --do; -d's night whole; -o, -c, -g, -s, -l, -n taken")
    func dumpTOMCommandLine() async throws {
        let (url, connection) = try Self.snapshotDatabase()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dump-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A night of the snapshot with objects of several true types, asked for as the TOM's users ask: -d with its MJD.
        let nights = try await connection.query(
            """
            SELECT floor(s.midpointtai)::int, count(*) FROM elasticc2_ppdbalert a JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
              JOIN elasticc2_diaobjecttruth t ON t.diaobject_id = a.diaobject_id
             GROUP BY 1 ORDER BY count(DISTINCT t.gentype) DESC, 2 DESC LIMIT 1
            """, statement: "a night of several types")
        let (night, alerts) = try nights.single((Int64, Int64).self)
        let sender = TestEnvironment.executable("alert-sender")
        let arguments = [sender, "dump", "--start-day", String(night), "-d", String(night), "-o", directory, "-l", "10", "-n", "2", "--db", url]
        let dry = try await TestEnvironment.execute(arguments)
        #expect(dry.status == 0 && dry.stdout.contains("\(night).tar: \(alerts) alerts (dry run: not written)"), "\(dry.stdout) \(dry.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory))
        let written = try await TestEnvironment.execute(
            arguments + ["--do", "-s", try TestEnvironment.reference("schema/elasticc.v0_9_1.alert.avsc").path])
        #expect(written.status == 0 && written.stdout.contains("\(night).tar: \(alerts) alerts\n"), "\(written.stdout) \(written.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["\(night).tar"])
        let again = try await TestEnvironment.execute(arguments + ["--do"])
        #expect(again.status != 0 && again.stderr.contains("--clobber"))
        // -g: only objects of one true type.
        let typed = try await connection.query(
            """
            SELECT t.gentype, count(*) FROM elasticc2_ppdbalert a JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
              JOIN elasticc2_diaobjecttruth t ON t.diaobject_id = a.diaobject_id
             WHERE floor(s.midpointtai) = \(night) GROUP BY 1 ORDER BY 2 LIMIT 1
            """, statement: "one type")
        let (gentype, ofType) = try typed.single((Int64, Int64).self)
        let filtered = try await TestEnvironment.execute(arguments + ["--do", "-c", "-g", String(gentype)])
        #expect(filtered.status == 0 && filtered.stdout.contains("\(night).tar: \(ofType) alerts\n") && ofType < alerts, "\(filtered.stdout)")
        let wrongSchema = try await TestEnvironment.execute(
            arguments + ["-s", try TestEnvironment.reference("schema/elasticc.v0_9.alert.avsc").path])
        #expect(wrongSchema.status != 0)
    }
}
