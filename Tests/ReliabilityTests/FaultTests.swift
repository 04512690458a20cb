import AlertSending
import AvroSchemas
import BrokerIngest
import Foundation
import Kafka
import Logging
import PPDBLoading
import Postgres
import TOMDatabase
import TestSupport
import Testing

/// Faults injected while the tools run: Kafka brokers down and request errors (processes
/// killed: see the broker-poll and fake-broker suites). Each case prints what it injected and what it counted.
/// `ELASTICC_CHAOS=1` (scripts/chaos) runs the long versions.
@Suite("Reliability under faults", .serialized)
struct FaultTests {
    let logger = KafkaTestCluster.logger
    static let chaos = ProcessInfo.processInfo.environment["ELASTICC_CHAOS"] == "1"
    static let faultDuration: Duration = chaos ? .seconds(10) : .seconds(3)
    static let messageCount = chaos ? 100_000 : 10_000

    static func classification(_ index: Int) -> [UInt8] {
        AvroCodec.encode(
            BrokerClassification(
                alertId: Int64(index), diaSourceId: Int64(index), elasticcPublishTimestamp: 1_700_000_000_000, brokerIngestTimestamp: nil,
                brokerName: "Chaos", brokerVersion: "1", classifierName: "c\(index % 2)", classifierParams: "p",
                classifications: [.init(classId: 2222, probability: 1)]))
    }

    func produce(_ range: Range<Int>, topic: String, bootstrap: String) async throws {
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: bootstrap), logger: logger)
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + 10_000, range.upperBound)
            let results = await producer.send(
                (start..<end).map { KafkaOutgoingMessage(topic: topic, key: Array("\($0)".utf8), value: Self.classification($0)) })
            #expect(results.allSatisfy { (try? $0.get()) != nil })
            start = end
        }
    }

    func count(_ connection: PostgresConnection, _ sql: String) throws -> Int64 {
        try connection.query(PostgresQuery(unescaped: sql), statement: "count").int64(0, 0) ?? 0
    }

    /// broker-poll's outcome for `total` messages with distinct alert ids: rows stored, messages
    /// missing, rows stored twice. `count` runs a count query.
    func tally(total: Int, _ count: (String) throws -> Int64) throws -> (stored: Int64, lost: Int64, doubled: Int64) {
        let stored = try count("SELECT count(*) FROM elasticc2_brokermessage")
        let distinct = try count("SELECT count(DISTINCT alert_id) FROM elasticc2_brokermessage")
        return (stored, Int64(total) - distinct, stored - distinct)
    }

    func migratedDatabase(on server: PrivatePostgresCluster? = nil) throws -> (String, PostgresConnection) {
        let url = try server?.makeDatabase("fault_\(UUID().uuidString.prefix(8).lowercased())") ?? PostgresTestServer.shared.makeDatabase("fault")
        let connection = try PostgresConnection(url)
        _ = try Migrator.migrate(connection, logger: logger)
        return (url, connection)
    }

    func ingest(
        url: String, bootstrap: String, topic: String, until done: @escaping @Sendable () throws -> Bool,
        during fault: @escaping @Sendable () async throws -> Void
    ) async throws {
        let poller = BrokerPoller(
            source: BrokerSource(
                name: "chaos", servers: bootstrap, topics: .names([topic]), groupId: "chaos-\(UUID().uuidString)",
                properties: ["session.timeout.ms": "6000", "reconnect.backoff.max.ms": "1000"]),
            conninfo: url, logger: logger, batchSize: 500)
        try await TestEnvironment.runUntil(timeout: .seconds(180), "every message stored") {
            try done()
        } work: {
            // A fault that fails cancels the poller, which stops as it does on shutdown.
            async let polling: Void = poller.run()
            try await fault()
            await polling
        }
    }

    @Test("A Kafka broker down during ingestion: consumers recover without a restart, nothing lost or doubled")
    func brokerDownDuringIngestion() async throws {
        let topic = "chaos-ingest"
        let cluster = try MockClusterProcess(topics: [(topic, 8)])
        let (url, connection) = try migratedDatabase()
        let total = Self.messageCount
        try await produce(0..<(total / 2), topic: topic, bootstrap: cluster.bootstrapServers)
        try await ingest(
            url: url, bootstrap: cluster.bootstrapServers, topic: topic,
            until: { try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") >= Int64(total) },
            during: {
                try await TestEnvironment.waitUntil("first rows") { try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") > 0 }
                cluster.setBrokersDown()
                try await Task.sleep(for: Self.faultDuration)  // the fault's length, not a wait for a condition
                cluster.setBrokersUp()
                try await produce((total / 2)..<total, topic: topic, bootstrap: cluster.bootstrapServers)
            })
        #expect(cluster.isRunning, "the mock cluster died bringing its broker up again")
        let outcome = try tally(total: total) { try count(connection, $0) }
        print(
            "fault: broker down \(Self.faultDuration) during ingestion of \(total) messages; stored \(outcome.stored), lost \(outcome.lost), doubled \(outcome.doubled)"
        )
        #expect(outcome.stored == Int64(total) && outcome.lost == 0 && outcome.doubled == 0)
    }

    @Test("Injected Produce and Fetch errors (timeouts, not-leader) are retried; nothing lost or doubled")
    func injectedRequestErrors() async throws {
        let cluster = try MockCluster(brokers: 1, logger: logger)
        let topic = "chaos-errors"
        try cluster.createTopic(topic, partitions: 4)
        let (url, connection) = try migratedDatabase()
        let total = Self.messageCount / 2
        cluster.pushRequestErrors(.produce, errorCodes: [7, 6, 7, 6, 7])  // REQUEST_TIMED_OUT, NOT_LEADER_OR_FOLLOWER
        try await produce(0..<total, topic: topic, bootstrap: cluster.bootstrapServers)
        cluster.pushRequestErrors(.fetch, errorCodes: [6, 7, 6, 7])
        try await ingest(
            url: url, bootstrap: cluster.bootstrapServers, topic: topic,
            until: { try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") >= Int64(total) }, during: {})
        let outcome = try tally(total: total) { try count(connection, $0) }
        print(
            "fault: 5 Produce and 4 Fetch errors injected over \(total) messages; stored \(outcome.stored), lost \(outcome.lost), doubled \(outcome.doubled)"
        )
        #expect(outcome.stored == Int64(total) && outcome.lost == 0 && outcome.doubled == 0)
    }

    @Test("PostgreSQL restarted during ingestion: broker-poll reconnects and resumes, nothing lost or doubled")
    func postgresRestartDuringIngestion() async throws {
        let server = try PrivatePostgresCluster()
        let cluster = try MockCluster(brokers: 1, logger: logger)
        let topic = "chaos-pg"
        try cluster.createTopic(topic, partitions: 8)
        let (url, _) = try migratedDatabase(on: server)
        let total = Self.messageCount
        try await produce(0..<total, topic: topic, bootstrap: cluster.bootstrapServers)
        let counter = ReconnectingCounter(url)
        // While the server restarts, counting fails; that is not the end of the wait.
        try await ingest(
            url: url, bootstrap: cluster.bootstrapServers, topic: topic, until: { ((try? counter.count()) ?? 0) >= Int64(total) },
            during: {
                try await TestEnvironment.waitUntil("first rows") { ((try? counter.count()) ?? 0) > 0 }
                try server.restart()
            })
        let outcome = try tally(total: total) { try counter.count($0) }
        print(
            "fault: PostgreSQL restarted during ingestion of \(total) messages; stored \(outcome.stored), lost \(outcome.lost), doubled \(outcome.doubled)"
        )
        #expect(outcome.stored == Int64(total) && outcome.lost == 0 && outcome.doubled == 0)
    }

    @Test("PostgreSQL restarted during a send: alert-sender reconnects and resumes; every alert delivered and marked")
    func postgresRestartDuringSend() async throws {
        let server = try PrivatePostgresCluster()
        let cluster = try MockCluster(brokers: 1, logger: logger)
        let topics = AlertTopics(wfd: "pgsend-wfd", ddfFull: "pgsend-ddf-full", ddfLimited: "pgsend-ddf-limited")
        for topic in topics.all { try cluster.createTopic(topic, partitions: 64) }
        let (url, _) = try migratedDatabase(on: server)
        _ = try SynthLoader(settings: .init(objects: 1500, seed: 4, ddfFraction: 0), conninfo: url, logger: logger).run()
        let counter = ReconnectingCounter(url)
        let total = try counter.count("SELECT count(*) FROM elasticc2_ppdbalert")
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers), logger: logger)
        let sender = AlertSender(
            settings: AlertSenderSettings(mode: .throughDay(99999), topics: topics, flushEvery: 300, rate: 1500),
            conninfo: url, producer: producer, logger: logger)
        async let sending = sender.run()
        try TestEnvironment.waitUntilBlocking(timeout: .seconds(60), "a fifth sent") {
            ((try? counter.count("SELECT count(*) FROM elasticc2_ppdbalert WHERE alertsenttimestamp IS NOT NULL")) ?? 0) >= total / 5
        }
        try server.restart()
        let summary = try await sending
        let marked = try counter.count("SELECT count(*) FROM elasticc2_ppdbalert WHERE alertsenttimestamp IS NOT NULL")
        let onTopic = Int64(try await KafkaTestCluster.messageCount(topics.wfd, bootstrap: cluster.bootstrapServers))
        print(
            "fault: PostgreSQL restarted during a send of \(total) alerts; marked \(marked), messages on the topic \(onTopic), duplicated \(onTopic - total), lost \(total - min(onTopic, total))"
        )
        #expect(summary.outcome == .completed)
        #expect(marked == total)
        #expect(onTopic >= total && onTopic - total <= 600)
    }

    @Test("A Kafka broker down while alerts are sent: the send waits it out and marks exactly what was delivered")
    func brokerDownDuringSend() async throws {
        let topics = AlertTopics(wfd: "chaos-wfd", ddfFull: "chaos-ddf-full", ddfLimited: "chaos-ddf-limited")
        let cluster = try MockClusterProcess(topics: topics.all.map { ($0, 16) })
        let url = try PostgresTestServer.shared.makeDatabase("faultsend")
        let connection = try PostgresConnection(url)
        _ = try Migrator.migrate(connection, logger: logger)
        try SnapshotRestorer.restore(dump: PostgresTestServer.snapshotPath, conninfo: url, includeBrokerTables: false)
        try PPDBStatistics.resetSent(connection)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers), logger: logger)
        let sender = AlertSender(
            settings: AlertSenderSettings(mode: .throughDay(60700), topics: topics, flushEvery: 200),
            conninfo: url, producer: producer, logger: logger)
        cluster.setBrokersDown()
        async let sending = sender.run()
        try await Task.sleep(for: Self.faultDuration)  // the fault's length, not a wait for a condition
        cluster.setBrokersUp()
        let summary = try await sending
        let marked = try count(connection, "SELECT count(*) FROM elasticc2_ppdbalert WHERE alertsenttimestamp IS NOT NULL")
        let onTopic = try await KafkaTestCluster.messageCount(topics.wfd, bootstrap: cluster.bootstrapServers)
        print(
            "fault: broker down \(Self.faultDuration) during a send of \(summary.alertsSent) alerts; marked \(marked), on the topic \(onTopic), "
                + "duplicated \(max(0, onTopic - Int(marked))), lost \(max(0, Int(marked) - onTopic))")
        #expect(summary.outcome == .completed && summary.alertsSent > 0)
        #expect(marked == Int64(summary.alertsSent) && onTopic == summary.alertsSent)
    }
}

/// Counts rows, connecting again when the server was restarted under it.
///
/// `@unchecked Sendable`: `connection` is used only while `lock` is held.
final class ReconnectingCounter: @unchecked Sendable {
    private let url: String
    private var connection: PostgresConnection?
    private let lock = NSLock()

    init(_ url: String) { self.url = url }

    func count(_ sql: String = "SELECT count(*) FROM elasticc2_brokermessage") throws -> Int64 {
        try lock.withLock {
            // A session the restart cut off fails once; a fresh one answers.
            for attempt in 0..<2 {
                do {
                    if connection == nil { connection = try PostgresConnection(url) }
                    return try connection!.query(PostgresQuery(unescaped: sql), statement: "count").int64(0, 0) ?? 0
                } catch {
                    connection = nil
                    if attempt == 1 { throw error }
                }
            }
            return 0
        }
    }
}
