import AvroSchemas
import BrokerIngest
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Kafka
import Postgres
import TOMDatabase
import TestSupport
import Testing

/// The one broker-message model seen from both ways in: the same inputs through Kafka
/// (broker-poll) and through the REST push are refused with the same reason, and stored as the
/// same row.
@Suite("A broker message through Kafka and through the REST push: one set of rules, one row")
struct BrokerMessageWaysInTests {
    /// A message's fields, written as Avro for Kafka and as JSON for the push.
    struct Fields {
        var alertId: Int64 = 41
        var brokerName = "WaysIn"
        var brokerVersion = "2.1"
        var classifierName = "Same"
        var classifierParams = "p=1"
        var classIds: [Int64] = [2222, 2223]
        var probabilities: [Double] = [0.25, 0.75]
        var elasticcPublishTimestamp: Int64 = 1_700_000_000_123
        var brokerIngestTimestamp: Int64 = 1_700_000_000_456

        var avro: [UInt8] {
            AvroCodec.encode(
                BrokerClassification(
                    alertId: alertId, diaSourceId: alertId + 5, elasticcPublishTimestamp: elasticcPublishTimestamp,
                    brokerIngestTimestamp: brokerIngestTimestamp, brokerName: brokerName, brokerVersion: brokerVersion,
                    classifierName: classifierName, classifierParams: classifierParams,
                    classifications: zip(classIds, probabilities).map { .init(classId: Int32(truncatingIfNeeded: $0), probability: Float($1)) }))
        }

        var json: String {
            func quoted(_ text: String) -> String {
                String(decoding: try! JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed]), as: UTF8.self)
            }
            let classifications = zip(classIds, probabilities).map { "{\"classId\": \($0), \"probability\": \($1)}" }.joined(separator: ", ")
            return """
                [{"alertId": \(alertId), "diaSourceId": \(alertId + 5), "elasticcPublishTimestamp": \(elasticcPublishTimestamp),
                  "brokerIngestTimestamp": \(brokerIngestTimestamp), "brokerName": \(quoted(brokerName)), "brokerVersion": \(quoted(brokerVersion)),
                  "classifierName": \(quoted(classifierName)), "classifierParams": \(quoted(classifierParams)),
                  "classifications": [\(classifications)]}]
                """
        }
    }

    /// broker-poll on `topic` until it has stored or set aside `count` messages.
    static func poll(_ topic: String, into url: String, handling count: Int) async throws -> BrokerPoller.Statistics {
        let poller = BrokerPoller(
            source: BrokerSource(
                name: "mock", servers: KafkaTestCluster.shared.bootstrapServers, topics: .names([topic]), groupId: KafkaTestCluster.uniqueName("g")),
            conninfo: url, logger: KafkaTestCluster.logger)
        try await TestEnvironment.runUntil(timeout: .seconds(90), "\(count) messages handled") {
            poller.stats.messages + poller.stats.deadLetters >= count
        } work: {
            await poller.run()
        }
        return poller.stats
    }

    /// Each bad input and the reason both ways must give.
    static let refusals: [(name: String, change: @Sendable (inout Fields) -> Void, reason: String)] = [
        ("class id past smallint", { $0.classIds = [2222, 40000] }, "classifications[1].classId is outside smallint (-32768…32767)"),
        ("probability past a real", { $0.probabilities = [1e39, 0] }, "classifications[0].probability must be a finite number"),
        ("broker name of 101 characters", { $0.brokerName = String(repeating: "b", count: 101) }, "brokerName is longer than 100 characters"),
        // 60 characters as a person reads them, 120 code points as PostgreSQL counts them.
        ("broker name of combining marks", { $0.brokerName = String(repeating: "e\u{301}", count: 60) }, "brokerName is longer than 100 characters"),
        ("classifier name of 201", { $0.classifierName = String(repeating: "c", count: 201) }, "classifierName is longer than 200 characters"),
        ("broker version of 10,001", { $0.brokerVersion = String(repeating: "v", count: 10_001) }, "brokerVersion is longer than 10000 characters"),
        ("NUL in the parameters", { $0.classifierParams = "a\u{0}b" }, "classifierParams holds a NUL character"),
        ("NUL in the broker name", { $0.brokerName = "\u{0}" }, "brokerName holds a NUL character"),
        (
            "publish time past year 9999", { $0.elasticcPublishTimestamp = 300_000_000_000_000 },
            "elasticcPublishTimestamp must be milliseconds since 1970 within the years 1–9999"
        ),
        (
            "1,001 classifications",
            {
                $0.classIds = Array(0..<1001)
                $0.probabilities = Array(repeating: 0.001, count: 1001)
            },
            "classifications has more than 1000 entries"
        ),
    ]

    @Test("Bad inputs: Kafka keeps each as a dead letter with the reason, HTTP answers 400 naming it; good input: the same row both ways")
    func bothWays() async throws {
        let (url, connection) = try RouterTests.database()
        let topic = KafkaTestCluster.uniqueName("waysin")
        try KafkaTestCluster.shared.createTopic(topic, partitions: 1)
        let good = Fields()
        let bad = Self.refusals.enumerated().map { index, refusal in
            var fields = Fields()
            fields.alertId = 100 + Int64(index)
            refusal.change(&fields)
            return fields
        }

        // Kafka: every bad message, then the good one, through broker-poll.
        let producer = try KafkaProducer(configuration: KafkaTestCluster.configuration, logger: KafkaTestCluster.logger)
        let sent = await producer.send((bad + [good]).map { KafkaOutgoingMessage(topic: topic, value: $0.avro) })
        #expect(sent.allSatisfy { (try? $0.get()) != nil })
        let stats = try await Self.poll(topic, into: url, handling: bad.count + 1)
        #expect(stats.messages == 1 && stats.deadLetters == bad.count)
        let letters = try await connection.query(
            "SELECT error FROM \(unescaped: OwnTables.deadLetter) WHERE topic = \(topic) ORDER BY kafka_offset", statement: "dead letters")
        let kafkaReasons = try (0..<letters.rowCount).map { try letters.value($0, 0, as: String.self) }
        #expect(kafkaReasons == Self.refusals.map(\.reason))

        // HTTP: each bad message alone, then the good one, as a broker account.
        try await RouterTests.application(url).test(.router) { client in
            let ampel = try await RouterTests.logIn(client, "ampel", "pw")
            for (refusal, fields) in zip(Self.refusals, bad) {
                let answer = try await RouterTests.push(client, session: ampel.session, csrf: ampel.csrf, header: ampel.csrf, body: fields.json)
                #expect(answer.status == .badRequest, "\(refusal.name)")
                // A NUL is refused as the JSON is read (text here may not hold one), before any field is.
                let expected = refusal.reason.contains("NUL") ? "a NUL character" : "message 0: \(refusal.reason)"
                let error = answer.json["error"] as? String ?? ""
                #expect(refusal.reason.contains("NUL") ? error.contains(expected) : error == expected, "\(refusal.name): \(error)")
            }
            let stored = try await RouterTests.push(client, session: ampel.session, csrf: ampel.csrf, header: ampel.csrf, body: good.json)
            #expect(stored.status == .created)
        }

        // Nothing of the refused inputs was stored either way; the good message twice, alike
        // but for where it came from and when it was taken in.
        let refused = try await connection.query("SELECT count(*) FROM elasticc2_brokermessage WHERE alert_id >= 100", statement: "refused")
        #expect(try refused.value(0, 0, as: Int64.self) == 0)
        let rows = try await connection.query(
            """
            SELECT topicname, streammessage_id,
                   row(alert_id, diasource_id, elasticcpublishtimestamp, brokeringesttimestamp, classifier_id, classid, probability)::text
              FROM elasticc2_brokermessage WHERE alert_id = 41 ORDER BY topicname = 'REST_push'
            """, statement: "good rows")
        #expect(rows.rowCount == 2)
        #expect(try rows.value(0, 0, as: String.self) == topic && rows.value(1, 0, as: String.self) == "REST_push")
        #expect(try rows.value(0, 1, as: Int64.self) == Int64(bad.count) && rows.value(1, 1, as: Int64.self) == -1)
        #expect(try rows.value(0, 2, as: String.self) == rows.value(1, 2, as: String.self))
        let classifiers = try await connection.query("SELECT count(*) FROM elasticc2_brokerclassifier", statement: "classifiers")
        #expect(try classifiers.value(0, 0, as: Int64.self) == 1)
    }

    @Test("Text that is not valid Unicode is refused both ways: a dead letter naming UTF-8, a 400 naming the body")
    func invalidUnicode() async throws {
        let (url, connection) = try RouterTests.database()
        let topic = KafkaTestCluster.uniqueName("badutf8")
        try KafkaTestCluster.shared.createTopic(topic, partitions: 1)
        var named = Fields()
        named.brokerName = "badZname"
        let fields = named
        var avro = fields.avro
        let marker = try #require(avro.firstIndex(of: 0x5A))
        avro[marker] = 0xFF  // a byte that never occurs in UTF-8
        let producer = try KafkaProducer(configuration: KafkaTestCluster.configuration, logger: KafkaTestCluster.logger)
        #expect(await producer.send([KafkaOutgoingMessage(topic: topic, value: avro)]).allSatisfy { (try? $0.get()) != nil })
        #expect(try await Self.poll(topic, into: url, handling: 1).deadLetters == 1)
        let letters = try await connection.query("SELECT error FROM \(unescaped: OwnTables.deadLetter)", statement: "dead letters")
        #expect(try letters.rows.map { try $0.decode(String.self) }.allSatisfy { $0.contains("UTF-8") })

        try await RouterTests.application(url).test(.router) { client in
            let ampel = try await RouterTests.logIn(client, "ampel", "pw")
            var body = Array(fields.json.utf8)
            body[try #require(body.firstIndex(of: 0x5A))] = 0xFF
            for bad in [body, Array(fields.json.replacingOccurrences(of: "badZname", with: "bad\\ud800name").utf8)] {
                let answer = try await RouterTests.push(client, session: ampel.session, csrf: ampel.csrf, header: ampel.csrf, bytes: bad)
                #expect(answer.status == .badRequest, "\(answer.json)")
            }
        }
        let stored = try await connection.query("SELECT count(*) FROM elasticc2_brokermessage", statement: "stored")
        #expect(try stored.single(Int64.self) == Int64(0))
    }
}
