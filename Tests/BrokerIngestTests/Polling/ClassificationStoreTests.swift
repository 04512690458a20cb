import AvroSchemas
import Foundation
import Kafka
import Postgres
import TOMDatabase
import TestSupport
import Testing

@testable import BrokerIngest

@Suite("broker-poll's batches: summed up ahead, stored once")
struct ClassificationStoreTests {
    static func item(
        topic: String = "t", partition: Int32, offset: Int64, source: Int64, classifier: String = "Nugent"
    ) -> BatchSummary.Item {
        .success(
            ConsumedMessage(
                topic: topic, partition: partition, offset: offset, headerTimestamp: PostgresTimestamp(millisecondsSinceEpoch: 1_700_000_000_000),
                message: BrokerMessage(
                    alertId: source, diaSourceId: source, elasticcPublishTimestamp: PostgresTimestamp(millisecondsSinceEpoch: 1_700_000_000_000),
                    brokerIngestTimestamp: nil,
                    classifier: BrokerClassifiers.Key(
                        brokerName: "TestBroker", brokerVersion: "1", classifierName: classifier, classifierParams: "p"),
                    classIds: [2222, 2223], probabilities: [0.5, 0.5])))
    }

    static func letter(topic: String = "t", partition: Int32, offset: Int64) -> BatchSummary.Item {
        .failure(DeadLetter(topic: topic, partition: partition, offset: offset, kafkaTimestamp: nil, payload: [1], error: "bad"))
    }

    @Test("A batch's summary: offsets by partition, counts by topic, source ids sorted once")
    func summary() {
        let items = [
            Self.item(partition: 1, offset: 7, source: 30), Self.item(partition: 1, offset: 8, source: 10),
            Self.item(topic: "u", partition: 0, offset: 3, source: 30), Self.letter(partition: 1, offset: 9),
            Self.item(partition: 0, offset: 2, source: 20), Self.item(partition: 1, offset: 5, source: 10),
        ]
        let summary = BatchSummary(items)
        let t0 = KafkaTopicPartition(topic: "t", partition: 0)
        let t1 = KafkaTopicPartition(topic: "t", partition: 1)
        let u0 = KafkaTopicPartition(topic: "u", partition: 0)
        #expect(summary.firstOffsets == [t1: 5, u0: 3, t0: 2])
        #expect(summary.nextOffsets == [t1: 10, u0: 4, t0: 3])
        #expect(summary.byTopic == ["t": TopicCounts(stored: 4, alreadyStored: 0, deadLetters: 1), "u": TopicCounts(stored: 1)])
        #expect(summary.sourceIds == [10, 20, 30])
        #expect(summary.messages.map(\.offset) == [7, 8, 3, 2, 5] && summary.letters.map(\.offset) == [9])
        #expect(BatchSummary([]).sourceIds.isEmpty && BatchSummary([]).firstOffsets.isEmpty)
    }

    @Test("Classifiers already in the table are remembered once found: the next batch's rows are built ahead")
    func foundClassifiersAreRemembered() async throws {
        let (url, connection) = try BrokerPollTests.database()
        try await connection.query(
            """
            INSERT INTO elasticc2_brokerclassifier (brokername, brokerversion, classifiername, classifierparams, modified)
            VALUES ('TestBroker', '1', 'Nugent', 'p', now())
            """, statement: "an earlier run's classifier")
        let store = try await ClassificationStore.open(conninfo: url, group: "g")
        let first = store.prepare([Self.item(partition: 0, offset: 0, source: 1)])
        #expect(first.rows == nil, "an unknown classifier: the rows are built in the transaction")
        let stored = try await store.storeCancellably(first)
        #expect(stored.messages == 1 && stored.classifiersAdded == 0)
        let second = store.prepare([Self.item(partition: 0, offset: 1, source: 2)])
        #expect(second.rows?.rowCount == 1, "the classifier found by the first batch is known now")
        _ = try await store.storeCancellably(second)
        let rows = try await connection.query(
            "SELECT count(*), count(DISTINCT classifier_id), min(classifier_id) FROM elasticc2_brokermessage", statement: "rows")
        #expect(try rows.value(0, 0, as: Int.self) == 2 && rows.value(0, 1, as: Int.self) == 1 && rows.value(0, 2, as: Int.self) == 1)
    }

    @Test("A batch partly stored before stores only the rest, and counts the rest by topic")
    func partlyStoredBatch() async throws {
        let (url, connection) = try BrokerPollTests.database()
        let store = try await ClassificationStore.open(conninfo: url, group: "g")
        let early = (0..<6).map { Self.item(partition: 0, offset: Int64($0), source: Int64($0)) }
        #expect(try await store.storeCancellably(store.prepare(early)).messages == 6)
        let overlapping = (3..<10).map { Self.item(partition: 0, offset: Int64($0), source: Int64($0)) } + [Self.letter(partition: 0, offset: 10)]
        let outcome = try await store.storeCancellably(store.prepare(overlapping))
        #expect(outcome.messages == 4 && outcome.alreadyStored == 3 && outcome.deadLetters == 1)
        #expect(outcome.byTopic == ["t": TopicCounts(stored: 4, alreadyStored: 3, deadLetters: 1)])
        #expect(outcome.nextOffsets == [KafkaTopicPartition(topic: "t", partition: 0): 11])
        #expect(try await connection.query("SELECT count(*) FROM elasticc2_brokermessage", statement: "rows").value(0, 0, as: Int.self) == 10)
        #expect(
            try await connection.query("SELECT count(*) FROM elasticc2_brokersourceids", statement: "ids").value(0, 0, as: Int.self) == 10)
    }
}
