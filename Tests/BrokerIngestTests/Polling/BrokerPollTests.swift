import AvroSchemas
import Foundation
import Kafka
import Logging
import Postgres
import Synchronization
import TOMDatabase
import TestSupport
import Testing

@testable import BrokerIngest

@Suite("broker-poll against PostgreSQL and the mock cluster", .serialized)
struct BrokerPollTests {
    let logger = KafkaTestCluster.logger

    static func database() throws -> (url: String, connection: PostgresConnection) {
        let url = try PostgresTestServer.shared.makeDatabase("poll")
        let connection = try PostgresConnection(url)
        _ = try Migrator.migrate(connection, logger: KafkaTestCluster.logger)
        return (url, connection)
    }

    func source(_ topic: String, group: String, servers: String = KafkaTestCluster.shared.bootstrapServers) -> BrokerSource {
        BrokerSource(
            name: "mock", servers: servers, topics: .names([topic]), groupId: group,
            properties: ["session.timeout.ms": "3000", "heartbeat.interval.ms": "500"])
    }

    /// Produces `count` messages with Python's fastavro and confluent-kafka.
    func producePython(_ topic: String, count: Int, servers: String = KafkaTestCluster.shared.bootstrapServers) throws {
        let output = try TestEnvironment.runPython(
            script: "kafka_peer.py",
            arguments: [
                "produce", servers, topic, String(count),
                try TestEnvironment.reference("schema/elasticc.v0_9_1.brokerClassification.avsc").path,
            ], input: "")
        #expect(output.contains("\"undelivered\": 0"))
    }

    func count(_ connection: PostgresConnection, _ query: PostgresQuery) throws -> Int64 {
        try connection.query(query, statement: "count").int64(0, 0) ?? 0
    }

    /// Runs pollers until `done` holds, then stops them.
    func poll(_ pollers: [BrokerPoller], until done: @escaping @Sendable () throws -> Bool) async throws {
        try await TestEnvironment.runUntil(timeout: .seconds(90), "rows stored") {
            try done()
        } work: {
            await withTaskGroup(of: Void.self) { group in
                for poller in pollers { group.addTask { await poller.run() } }
            }
        }
    }

    @Test("Rows hold exactly what Python produced; classifiers and source ids once each")
    func exactRows() async throws {
        let (url, connection) = try Self.database()
        let topic = KafkaTestCluster.uniqueName("classifications")
        try producePython(topic, count: 150)
        let poller = BrokerPoller(source: source(topic, group: KafkaTestCluster.uniqueName("g")), conninfo: url, logger: logger, batchSize: 40)
        try await poll([poller]) { poller.stats.messages >= 150 }
        #expect(poller.stats.messages == 150 && poller.stats.classifiersAdded == 2 && poller.stats.deadLetters == 0)

        let rows = try await connection.query(
            """
            SELECT m.streammessage_id, m.topicname, m.alert_id, m.diasource_id, m.elasticcpublishtimestamp, m.brokeringesttimestamp,
                   m.classid, m.probability, c.brokername, c.brokerversion, c.classifiername, c.classifierparams,
                   m.msghdrtimestamp IS NOT NULL, m.descingesttimestamp > now() - interval '10 minutes'
              FROM elasticc2_brokermessage m JOIN elasticc2_brokerclassifier c USING (classifier_id) ORDER BY m.alert_id
            """, statement: "rows")
        #expect(rows.rowCount == 150)
        for row in 0..<rows.rowCount {
            let index = Int64(row)
            #expect(try rows.int64(row, 2) == 1_000_000 + index)
            #expect(try rows.int64(row, 3) == 2_000_000 + index)
            #expect(rows.string(row, 1) == topic)
            #expect(try rows.timestamp(row, 4) == PostgresTimestamp(millisecondsSinceEpoch: 1_700_000_000_000 + index))
            #expect(try rows.timestamp(row, 5) == (index % 3 == 0 ? nil : PostgresTimestamp(millisecondsSinceEpoch: 1_700_000_001_000 + index)))
            #expect(try rows.int16Array(row, 6) == (0..<(index % 5)).map { 2222 + Int16($0) })
            #expect(try rows.floatArray(row, 7) == (0..<(index % 5)).map { Float(1.0 / Double($0 + 1)) })
            #expect(rows.string(row, 8) == "PyBroker" && rows.string(row, 9) == "confluent-kafka")
            #expect(rows.string(row, 10) == "classifier-\(index % 2)" && rows.string(row, 11) == "ünïcode")
            #expect(try rows.bool(row, 12) == true && rows.bool(row, 13) == true)
        }
        #expect(try count(connection, "SELECT count(*) FROM elasticc2_brokerclassifier") == 2)
        #expect(try count(connection, "SELECT count(*) FROM elasticc2_brokersourceids") == 150)
        #expect(try count(connection, "SELECT count(DISTINCT alert_id) FROM elasticc2_brokermessage") == 150)

        // A restart on more messages of the same classifiers adds rows, not classifiers.
        try producePython(topic, count: 150)
        let again = BrokerPoller(source: source(topic, group: poller.source.groupId), conninfo: url, logger: logger)
        try await poll([again]) { try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") >= 300 }
        #expect(try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") == 300)
        #expect(try count(connection, "SELECT count(*) FROM elasticc2_brokerclassifier") == 2)
        #expect(try count(connection, "SELECT count(*) FROM elasticc2_brokersourceids") == 150)
        #expect(again.stats.classifiersAdded == 0)
    }

    @Test("The only instance takes every partition directly (no group join): all stored once; a restart resumes at the stored offsets")
    func directAssignment() async throws {
        let (url, connection) = try Self.database()
        let topic = KafkaTestCluster.uniqueName("alone")
        try KafkaTestCluster.shared.createTopic(topic, partitions: 4)
        try producePython(topic, count: 200)
        let group = KafkaTestCluster.uniqueName("g")
        let poller = BrokerPoller(source: source(topic, group: group), conninfo: url, logger: logger, batchSize: 50, alone: true)
        try await poll([poller]) { poller.stats.messages >= 200 }
        #expect(poller.stats.messages == 200)
        #expect(poller.hasAssignment == false)  // the session has ended; it held all 4 while running
        let offsets = try await connection.query(
            "SELECT count(*), sum(next_offset) FROM elasticcstream_kafka_offset WHERE consumer_group = \(group) AND topic = \(topic)",
            statement: "offsets")
        #expect(try offsets.value(0, 0, as: Int.self) == 4 && offsets.value(0, 1, as: Int.self) == 200)
        // More messages, a new instance: it resumes where the rows end, nothing read twice.
        try producePython(topic, count: 100)
        let again = BrokerPoller(source: source(topic, group: group), conninfo: url, logger: logger, batchSize: 50, alone: true)
        try await poll([again]) { try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") >= 300 }
        #expect(again.stats.messages == 100 && again.stats.alreadyStored == 0)
        #expect(try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") == 300)
        #expect(
            try count(connection, "SELECT sum(next_offset) FROM elasticcstream_kafka_offset WHERE consumer_group = \(group) AND topic = \(topic)")
                == 300)
    }

    @Test("Malformed messages become dead letters while the good ones around them land")
    func deadLetters() async throws {
        let (url, connection) = try Self.database()
        let topic = KafkaTestCluster.uniqueName("mixed")
        try KafkaTestCluster.shared.createTopic(topic, partitions: 1)
        func classification(_ id: Int64, classId: Int32 = 2222, broker: String = "Good") -> [UInt8] {
            AvroCodec.encode(
                BrokerClassification(
                    alertId: id, diaSourceId: id, elasticcPublishTimestamp: 1_700_000_000_000, brokerIngestTimestamp: nil,
                    brokerName: broker, brokerVersion: "1", classifierName: "c", classifierParams: "'); DROP TABLE elasticc2_brokermessage; --",
                    classifications: [.init(classId: classId, probability: 1)]))
        }
        let alert = AvroCodec.encode(
            Alert(
                alertId: 5,
                diaSource: DiaSource(
                    diaSourceId: 5, diaObjectId: 1, midPointTai: 1, filterName: "g", ra: 0, decl: 0, psFlux: 0, psFluxErr: 0, snr: 0),
                prvDiaSources: nil, prvDiaForcedSources: nil, diaObject: nil))
        let payloads: [[UInt8]?] = [
            classification(1), [0xDE, 0xAD, 0xBE, 0xEF], classification(2), classification(3, classId: 40000), classification(4),
            classification(5, broker: String(repeating: "b", count: 101)), nil, alert, classification(6),
            AvroCodec.encodeConfluent(
                BrokerClassification(
                    alertId: 7, diaSourceId: 7, elasticcPublishTimestamp: 1, brokerIngestTimestamp: 2,
                    brokerName: "Good", brokerVersion: "1", classifierName: "c", classifierParams: "'); DROP TABLE elasticc2_brokermessage; --",
                    classifications: []), schemaId: 12),
        ]
        let producer = try KafkaProducer(configuration: KafkaTestCluster.configuration, logger: logger)
        let results = await producer.send(payloads.map { KafkaOutgoingMessage(topic: topic, value: $0) })
        #expect(results.allSatisfy { (try? $0.get()) != nil })
        let poller = BrokerPoller(source: source(topic, group: KafkaTestCluster.uniqueName("g")), conninfo: url, logger: logger)
        try await poll([poller]) { poller.stats.messages + poller.stats.deadLetters >= 10 }
        #expect(poller.stats.messages == 5 && poller.stats.deadLetters == 5)
        #expect(try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") == 5)
        let stored = try await connection.query(
            "SELECT array_agg(alert_id ORDER BY alert_id), min(c.classifierparams) FROM elasticc2_brokermessage JOIN elasticc2_brokerclassifier c USING (classifier_id)",
            statement: "stored")
        #expect(stored.string(0, 0) == "{1,2,4,6,7}")
        #expect(stored.string(0, 1) == "'); DROP TABLE elasticc2_brokermessage; --")
        let letters = try await connection.query(
            """
            SELECT topic, kafka_partition, kafka_offset, payload_size, error, kafka_timestamp IS NOT NULL FROM \(unescaped: OwnTables.deadLetter) ORDER BY kafka_offset
            """, statement: "dead letters")
        #expect(letters.rowCount == 5)
        #expect(try (0..<5).map { try letters.int64($0, 2)! } == [1, 3, 5, 6, 7])
        #expect((0..<5).allSatisfy { letters.string($0, 0) == topic })
        #expect(letters.string(1, 4)?.contains("smallint") == true)
        #expect(letters.string(2, 4)?.contains("100 characters") == true)
        #expect(try letters.int64(0, 3) == 4)
    }

    @Test("An oversized message is refused into a bounded dead letter and the stream goes on")
    func oversizedMessage() async throws {
        let (url, connection) = try Self.database()
        let topic = KafkaTestCluster.uniqueName("oversized")
        try KafkaTestCluster.shared.createTopic(topic, partitions: 1)
        let good = AvroCodec.encode(
            BrokerClassification(
                alertId: 9, diaSourceId: 9, elasticcPublishTimestamp: 1, brokerIngestTimestamp: nil, brokerName: "B", brokerVersion: "1",
                classifierName: "c", classifierParams: "p", classifications: [.init(classId: 2222, probability: 1)]))
        let huge = [UInt8](repeating: 0x02, count: 900_000)
        let producer = try KafkaProducer(configuration: KafkaTestCluster.configuration, logger: logger)
        let results = await producer.send([KafkaOutgoingMessage(topic: topic, value: huge), KafkaOutgoingMessage(topic: topic, value: good)])
        #expect(results.allSatisfy { (try? $0.get()) != nil })
        let poller = BrokerPoller(source: source(topic, group: KafkaTestCluster.uniqueName("g")), conninfo: url, logger: logger)
        try await poll([poller]) { poller.stats.messages + poller.stats.deadLetters >= 2 }
        #expect(poller.stats.messages == 1 && poller.stats.deadLetters == 1)
        let letter = try await connection.query(
            "SELECT octet_length(payload), payload_size, kafka_offset FROM \(unescaped: OwnTables.deadLetter)", statement: "letter")
        #expect(try letter.int64(0, 0) == 65_536)
        #expect(try letter.int64(0, 1) == 900_000)
        #expect(try letter.int64(0, 2) == 0)
        #expect(try count(connection, "SELECT count(*) FROM elasticc2_brokermessage WHERE alert_id = 9") == 1)
    }

    @Test("Two instances in one group split the partitions and store each message once")
    func twoInstances() async throws {
        let (url, connection) = try Self.database()
        let topic = KafkaTestCluster.uniqueName("shared")
        try KafkaTestCluster.shared.createTopic(topic, partitions: 6)
        let producer = try KafkaProducer(configuration: KafkaTestCluster.configuration, logger: logger)
        let messages = (0..<3000).map { index in
            KafkaOutgoingMessage(
                topic: topic, key: Array("k\(index)".utf8),
                value: AvroCodec.encode(
                    BrokerClassification(
                        alertId: Int64(index), diaSourceId: Int64(index), elasticcPublishTimestamp: 1_700_000_000_000,
                        brokerIngestTimestamp: 1_700_000_000_001,
                        brokerName: "B", brokerVersion: "1", classifierName: "c\(index % 3)", classifierParams: "p",
                        classifications: [.init(classId: 2222, probability: 1)])))
        }
        #expect(await producer.send(messages).allSatisfy { (try? $0.get()) != nil })
        let group = KafkaTestCluster.uniqueName("g")
        let one = BrokerPoller(source: source(topic, group: group), conninfo: url, logger: logger, batchSize: 100)
        let two = BrokerPoller(source: source(topic, group: group), conninfo: url, logger: logger, batchSize: 100)
        try await poll([one, two]) { try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") >= 3000 }
        #expect(try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") == 3000)
        #expect(try count(connection, "SELECT count(DISTINCT alert_id) FROM elasticc2_brokermessage") == 3000)
        #expect(try count(connection, "SELECT count(*) FROM elasticc2_brokerclassifier") == 3)
        #expect(one.stats.messages + two.stats.messages == 3000)
    }

    @Test(
        "Readiness that fits scale-out: a replica with no partition (more replicas than partitions) is Ready and idle; an unreachable broker is named, not ready"
    )
    func readinessOfIdleReplicas() async throws {
        let (url, _) = try Self.database()
        let topic = KafkaTestCluster.uniqueName("idle")
        try KafkaTestCluster.shared.createTopic(topic, partitions: 1)
        let group = KafkaTestCluster.uniqueName("g")
        let one = BrokerPollService(sources: [source(topic, group: group)], conninfo: url, logger: logger, statsInterval: .seconds(3600))
        let two = BrokerPollService(sources: [source(topic, group: group)], conninfo: url, logger: logger, statsInterval: .seconds(3600))
        let unreachable = BrokerPollService(
            sources: [source(topic, group: group + "-x", servers: "127.0.0.1:1")], conninfo: url, logger: logger, statsInterval: .seconds(3600))
        // What /ready says while they run (a stopped service has no consumer to ask).
        let seen = Mutex<(details: [String], unreachable: (ok: Bool, detail: String)?)>(([], nil))
        try await TestEnvironment.runUntil(timeout: .seconds(90), "both replicas ready, the unreachable broker named") {
            let replicas = [one, two].flatMap(\.brokerReadiness)
            let far = unreachable.brokerReadiness.first.map { ($0.ok, $0.detail) }
            seen.withLock { $0 = (replicas.map(\.detail).sorted(), far) }
            return replicas.allSatisfy(\.ok) && (far?.1.contains("last error") ?? false)
        } work: {
            await withTaskGroup(of: Void.self) { group in
                for service in [one, two, unreachable] { group.addTask { await service.run() } }
            }
        }
        let (details, far) = seen.withLock { $0 }
        // One replica holds the only partition; the other is in the group with none, and ready.
        #expect(details.count == 2 && details.contains("partitions assigned") && details.contains { $0.hasSuffix("idle") }, "\(details)")
        #expect(far?.ok == false, "\(String(describing: far))")
    }

    @Test(
        "A topic recreated empty under the same name: its partition is refused loudly (nothing counted as stored), until reset-offsets moves the position, logged",
        arguments: [true, false])
    func recreatedTopic(alone: Bool) async throws {
        let (url, connection) = try Self.database()
        let topic = KafkaTestCluster.uniqueName("recreated")
        let group = KafkaTestCluster.uniqueName("g")
        let before = try MockCluster(brokers: 1, logger: logger)
        try before.createTopic(topic, partitions: 1)
        try producePython(topic, count: 1000, servers: before.bootstrapServers)
        let first = BrokerPoller(source: source(topic, group: group, servers: before.bootstrapServers), conninfo: url, logger: logger, alone: alone)
        try await poll([first]) { first.stats.messages >= 1000 }

        // Kafka comes back empty (a new cluster, a lost volume, a recreated topic): 300 new messages at offsets 0–299.
        let after = try MockCluster(brokers: 1, logger: logger)
        try after.createTopic(topic, partitions: 1)
        try producePython(topic, count: 300, servers: after.bootstrapServers)
        let service = BrokerPollService(
            sources: [source(topic, group: group, servers: after.bootstrapServers)], conninfo: url, logger: logger, alone: alone)
        let poller = service.pollers[0]
        try await TestEnvironment.runUntil(timeout: .seconds(60), "the partition refused") {
            !poller.refusedPartitions.isEmpty
        } work: {
            await service.run()
        }
        let reason = try #require(poller.refusedPartitions[KafkaTopicPartition(topic: topic, partition: 0)])
        #expect(reason.contains("stored position 1000") && reason.contains("0–300"), "\(reason)")
        #expect(poller.stats.messages == 0 && poller.stats.alreadyStored == 0)
        #expect(service.brokerReadiness.first?.ok == false && service.brokerReadiness.first?.detail.contains("reset-offsets") == true)
        #expect(try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") == 1000)

        if alone {
            // The executable says so loudly: an error naming the partition and its offsets, the
            // metric, /ready 503, and a non-zero exit when stopped, rather than 0.
            let port = try await PrometheusScrape.freePort()
            let process = TestEnvironment.launch([
                TestEnvironment.executable("broker-poll"), "--db", url, "--server", after.bootstrapServers, "--topic", topic, "--group-id", group,
                "--instances", "1", "--metrics-listen", "127.0.0.1:\(port)", "--log-level", "warning",
            ])
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let stderr = ReadAll(errors.fileHandleForReading)
            try await TestEnvironment.waitUntil(timeout: .seconds(60), "broker-poll's /ready naming the refused partition") {
                // Not listening yet under load: ask again.
                guard let ready = try? await PrometheusScrape.status("http://127.0.0.1:\(port)/ready") else { return false }
                return ready.code == 503 && ready.body.contains("partitions refused (see broker-poll reset-offsets)")
            }
            let metrics = try await PrometheusScrape.status("http://127.0.0.1:\(port)/metrics").body
            let gauge = metrics.split(separator: "\n").first { $0.hasPrefix("elasticc_brokerpoll_refused_partitions{") }
            #expect(gauge.flatMap { Double($0.split(separator: " ").last ?? "") } == 1, "\(metrics)")
            process.terminate()
            process.waitUntilExit()
            let log = String(decoding: stderr.wait(), as: UTF8.self)
            #expect(process.terminationStatus == 3, "\(log)")
            #expect(log.contains("Partition refused") && log.contains(topic) && log.contains("stored position 1000"), "\(log)")
            #expect(try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") == 1000)
        }

        // The operator's way on, logged with who: the command line, which checks its arguments first.
        let resetOffsets = [TestEnvironment.executable("broker-poll"), "reset-offsets", "--db", url, "--server", after.bootstrapServers]
        let withoutPartition = try await TestEnvironment.execute(resetOffsets + ["--group", group, "--topic", topic, "--to", "0"])
        #expect(withoutPartition.status != 0 && withoutPartition.stderr.contains("--to OFFSET needs --partition"), "\(withoutPartition.stderr)")
        let target = alone ? ["--to-earliest"] : ["--partition", "0", "--to", "0"]
        let reset = try await TestEnvironment.execute(resetOffsets + ["--group", group, "--topic", topic] + target + ["--log-level", "warning"])
        #expect(reset.status == 0 && reset.stdout.contains("\(group) \(topic)[0]: 1000 -> 0 (Kafka offsets 0–300)"), "\(reset)")
        let logged = try await connection.query(
            "SELECT previous_offset, new_offset, high_watermark, reset_by FROM elasticcstream_offset_reset WHERE consumer_group = \(group)",
            statement: "reset log")
        let (previous, new, high, by) = try logged.single((Int64?, Int64, Int64, String).self)
        #expect(previous == 1000 && new == 0 && high == 300 && by.contains("(database role "), "\(by)")
        let resumed = BrokerPoller(source: source(topic, group: group, servers: after.bootstrapServers), conninfo: url, logger: logger, alone: alone)
        try await poll([resumed]) { resumed.stats.messages >= 300 }
        #expect(resumed.refusedPartitions.isEmpty)
        #expect(try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") == 1300)
    }

    @Test("A stored position fits a partition between its watermarks; past the end or before the start, it is refused saying why")
    func storedPositionsAgainstWatermarks() {
        #expect(BrokerPoller.misfit(storedNext: 300, low: 0, high: 300) == nil)
        #expect(BrokerPoller.misfit(storedNext: 0, low: 0, high: 0) == nil)
        #expect(BrokerPoller.misfit(storedNext: 1000, low: 0, high: 300)?.contains("past the partition's end (offsets 0–300)") == true)
        #expect(BrokerPoller.misfit(storedNext: 5, low: 120, high: 900)?.contains("before the partition's start (offsets 120–900)") == true)
    }

    @Test("Messages that expire in Kafka while broker-poll lags are refused loudly, not skipped by the consumer's reset")
    func expiredWhileLagging() async throws {
        let (url, connection) = try Self.database()
        let topic = KafkaTestCluster.uniqueName("expiring")
        try KafkaTestCluster.shared.createTopic(topic, partitions: 1)
        try producePython(topic, count: 100)
        // A small local queue, so the consumer cannot prefetch what Kafka is about to drop.
        let lagging = BrokerSource(
            name: "mock", servers: KafkaTestCluster.shared.bootstrapServers, topics: .names([topic]), groupId: KafkaTestCluster.uniqueName("g"),
            properties: ["queued.max.messages.kbytes": "64", "fetch.message.max.bytes": "65536"])
        let poller = BrokerPoller(source: lagging, conninfo: url, logger: logger, alone: true)
        let watcher = try KafkaConsumer(configuration: KafkaTestCluster.configuration, groupId: KafkaTestCluster.uniqueName("w"), logger: logger)
        let staller = try await PostgresConnection.open(url, applicationName: "staller")
        let low = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await poller.run() }
            try await TestEnvironment.waitUntil(timeout: .seconds(60), "the first 100 stored") {
                try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") == 100
            }
            // broker-poll stalls on the database while the mock cluster, which keeps the last
            // 5 MB of a partition, drops messages it has not read.
            try await staller.query("BEGIN", statement: "begin")
            try await staller.query("LOCK TABLE elasticc2_brokermessage IN ACCESS EXCLUSIVE MODE", statement: "stall")
            try producePython(topic, count: 80_000)
            let low = try await watcher.watermarks(topic: topic, partition: 0).low
            #expect(low > 20_000, "the mock dropped the oldest messages (log starts at \(low))")
            try await staller.query("ROLLBACK", statement: "unstall")
            try await TestEnvironment.waitUntil(timeout: .seconds(60), "the partition refused") { !poller.refusedPartitions.isEmpty }
            group.cancelAll()
            return low
        }
        let reason = try #require(poller.refusedPartitions[KafkaTopicPartition(topic: topic, partition: 0)])
        #expect(reason.contains("expired in Kafka before they were stored"), "\(reason)")
        // What broker-poll had fetched before the drop is stored (how much depends on its
        // read-ahead and the machine's speed); nothing past the gap is: the stored position still
        // names the first message lost, and the report names the whole gap.
        let next = try count(connection, "SELECT next_offset FROM elasticcstream_kafka_offset")
        #expect(try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") == next)
        #expect(next < low && reason.contains("past the position \(next) fetched up to"), "\(next) \(reason)")
        #expect(reason.contains("messages \(next)–\(low - 1) expired"), "\(reason)")
    }

    @Test("A batch past the stored position is a loss only when the log now starts past it too")
    func expiredUnstoredJudgement() {
        #expect(BrokerPoller.expiredUnstored(fetchedNext: 100, firstFetched: 101, low: 0) == nil, "a transaction marker's offset")
        #expect(BrokerPoller.expiredUnstored(fetchedNext: 100, firstFetched: 100, low: 100) == nil)
        #expect(BrokerPoller.expiredUnstored(fetchedNext: 100, firstFetched: 5000, low: 4000)?.contains("messages 100–3999 expired") == true)
    }

    @Test("An unreachable broker does not hold up a reachable one")
    func unreachableBroker() async throws {
        let (url, connection) = try Self.database()
        let topic = KafkaTestCluster.uniqueName("reachable")
        try producePython(topic, count: 50)
        let dead = BrokerSource(
            name: "dead", servers: "127.0.0.1:1", topics: .names(["nothing"]), groupId: "g",
            properties: ["reconnect.backoff.ms": "100", "reconnect.backoff.max.ms": "500"])
        let service = BrokerPollService(
            sources: [dead, source(topic, group: KafkaTestCluster.uniqueName("g"))], conninfo: url, logger: logger,
            statsInterval: .milliseconds(300))
        try await TestEnvironment.runUntil(timeout: .seconds(60), "reachable broker stored, unreachable one reported") {
            try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") >= 50 && service.pollers[0].stats.lastError != nil
        } work: {
            await service.run()
        }
        #expect(try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") == 50)
        #expect(service.pollers[0].stats.messages == 0)
    }

    func launch(url: String, topic: String, group: String) throws -> Process {
        let process = TestEnvironment.launch([
            TestEnvironment.executable("broker-poll"),
            "--db", url, "--server", KafkaTestCluster.shared.bootstrapServers, "--topic", topic, "--group-id", group,
            "--batch-size", "500", "-X", "session.timeout.ms=3000", "-X", "heartbeat.interval.ms=500",
            "--log-level", "warning",
        ])
        try process.run()
        return process
    }

    @Test("kill -9 during ingestion, restarted again and again: every message stored exactly once")
    func killAndRestart() async throws {
        let (url, connection) = try Self.database()
        let topic = KafkaTestCluster.uniqueName("killed")
        try KafkaTestCluster.shared.createTopic(topic, partitions: 3)
        // scripts/chaos: 100,000 messages and ten kills; scripts/test: 20,000 and four.
        let chaos = ProcessInfo.processInfo.environment["ELASTICC_CHAOS"] == "1"
        let total = chaos ? 100_000 : 20_000
        let killCount = chaos ? 10 : 4
        let producer = try KafkaProducer(configuration: KafkaTestCluster.configuration, logger: logger)
        var messages: [KafkaOutgoingMessage] = []
        for index in 0..<total {
            let classes: [BrokerClassification.Classification] = (0..<(index % 2 == 0 ? 1 : 20)).map {
                BrokerClassification.Classification(classId: 2222 + Int32($0), probability: 0.05)
            }
            let message = BrokerClassification(
                alertId: Int64(index), diaSourceId: Int64(index % 7000), elasticcPublishTimestamp: 1_700_000_000_000, brokerIngestTimestamp: nil,
                brokerName: "Killer", brokerVersion: "1", classifierName: "c\(index % 2)", classifierParams: "p", classifications: classes)
            messages.append(KafkaOutgoingMessage(topic: topic, key: Array("k\(index)".utf8), value: AvroCodec.encode(message)))
        }
        #expect(await producer.send(messages).allSatisfy { (try? $0.get()) != nil })
        let group = KafkaTestCluster.uniqueName("g")
        let stored = { try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") }
        var kills = 0
        for round in 1...killCount {
            let threshold = Int64(total * round * 3 / (4 * killCount))
            let process = try launch(url: url, topic: topic, group: group)
            try TestEnvironment.waitUntilBlocking(timeout: .seconds(90), "rows beyond \(threshold)") { try stored() >= threshold }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            kills += process.terminationReason == .uncaughtSignal ? 1 : 0
        }
        print("fault: broker-poll killed with SIGKILL \(kills) times during ingestion of \(total) messages")
        #expect(kills == killCount)
        #expect(try stored() < Int64(total), "the last kill came before the end")
        let last = try launch(url: url, topic: topic, group: group)
        try await TestEnvironment.waitUntil(timeout: .seconds(90), "all rows") { try stored() >= Int64(total) }
        kill(last.processIdentifier, SIGTERM)
        last.waitUntilExit()
        #expect(last.terminationReason == .exit && last.terminationStatus == 0)
        let (rows, distinct) = (try stored(), try count(connection, "SELECT count(DISTINCT alert_id) FROM elasticc2_brokermessage"))
        print(
            "fault: after \(kills) kills and restarts: stored \(rows) rows of \(total) messages, lost \(Int64(total) - distinct), doubled \(rows - distinct)"
        )
        #expect(rows == Int64(total))
        #expect(distinct == Int64(total))
        #expect(try count(connection, "SELECT count(*) FROM elasticc2_brokerclassifier") == 2)
        #expect(try count(connection, "SELECT count(*) FROM elasticc2_brokersourceids") == Int64(min(total, 7000)))
        #expect(try count(connection, "SELECT sum(array_length(classid, 1)) FROM elasticc2_brokermessage") == Int64(total / 2 * 21))
    }

    @Test("With the database stalled, broker-poll's Kafka side keeps fetching and SIGTERM still stops it promptly, losing nothing")
    func stalledDatabase() async throws {
        let (url, connection) = try Self.database()
        let topic = KafkaTestCluster.uniqueName("stalled")
        try KafkaTestCluster.shared.createTopic(topic, partitions: 1)
        let group = KafkaTestCluster.uniqueName("g")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("stall-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let ready = work.appendingPathComponent("ready").path
        let log = work.appendingPathComponent("log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = TestEnvironment.launch([
            TestEnvironment.executable("broker-poll"),
            "--db", url, "--server", KafkaTestCluster.shared.bootstrapServers, "--topic", topic, "--group-id", group,
            "--stats-interval", "0.2", "--stop-grace", "1", "--ready-file", ready,
            "-X", "session.timeout.ms=3000", "-X", "heartbeat.interval.ms=500", "--log-level", "info",
        ])
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        try await TestEnvironment.waitUntil(timeout: .seconds(60), "partitions assigned") { FileManager.default.fileExists(atPath: ready) }

        // Stall the database: every insert into the broker messages waits for this transaction.
        let staller = try await PostgresConnection.open(url, applicationName: "staller")
        try await staller.query("BEGIN", statement: "begin")
        try await staller.query("LOCK TABLE elasticc2_brokermessage IN ACCESS EXCLUSIVE MODE", statement: "stall")
        try producePython(topic, count: 300)
        let observer = try await PostgresConnection.open(url)
        try await TestEnvironment.waitUntil(timeout: .seconds(30), "broker-poll waits on the lock") {
            try await observer.query(
                """
                SELECT count(*) FROM pg_stat_activity WHERE application_name = 'broker-poll' AND wait_event_type = 'Lock'
                """, statement: "waiting"
            ).value(0, 0, as: Int.self) == 1
        }
        // Meanwhile its Kafka side fetched all 300 and its statistics keep coming: no thread is stuck.
        let linesBefore = try String(contentsOf: log, encoding: .utf8).components(separatedBy: "broker-poll statistics").count
        try await TestEnvironment.waitUntil(timeout: .seconds(20), "statistics while stalled showing the fetched backlog") {
            let text = try String(contentsOf: log, encoding: .utf8)
            return text.components(separatedBy: "broker-poll statistics").count >= linesBefore + 3 && text.contains("lag=300")
        }
        let stopped = ContinuousClock.now
        kill(process.processIdentifier, SIGTERM)
        try await TestEnvironment.waitUntil(timeout: .seconds(20), "exit after SIGTERM") { !process.isRunning }
        let stopTime = ContinuousClock.now - stopped
        #expect(stopTime < .seconds(6), "stopped in \(stopTime) with the database still stalled")
        #expect(process.terminationReason == .exit)
        try await staller.query("COMMIT", statement: "unstall")
        #expect(try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") == 0)

        // Nothing was lost: a restart stores every message once.
        let again = try launch(url: url, topic: topic, group: group)
        try await TestEnvironment.waitUntil(timeout: .seconds(60), "all stored") {
            try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") >= 300
        }
        kill(again.processIdentifier, SIGTERM)
        again.waitUntilExit()
        #expect(try count(connection, "SELECT count(*) FROM elasticc2_brokermessage") == 300)
        #expect(try count(connection, "SELECT count(DISTINCT alert_id) FROM elasticc2_brokermessage") == 300)
    }
}
