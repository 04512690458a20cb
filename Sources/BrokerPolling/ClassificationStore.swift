import AvroSchemas
import Foundation
import Kafka
import Postgres
import PPDB
import Synchronization

/// Stores broker messages as the TOM's `BrokerMessage.load_batch` does, in one transaction per
/// batch together with the consumed offsets, so a crash at any instant loses and doubles nothing.
final class ClassificationStore: Sendable {
    struct ClassifierKey: Hashable, Sendable {
        var brokerName, brokerVersion, classifierName, classifierParams: String
    }

    struct Outcome: Sendable, Equatable {
        var messages = 0
        var classifiersAdded = 0
        var deadLetters = 0
        var alreadyStored = 0
    }

    /// Serialises classifier creation across batches and instances ("ESCLASSI").
    static let classifierLockKey: Int64 = 0x4553_434C_4153_5349

    let connection: PostgresConnection
    let group: String
    private let classifierIds = Mutex<[ClassifierKey: Int64]>([:])

    init(conninfo: String, group: String) throws {
        connection = try PostgresConnection(conninfo, applicationName: "broker-poll")
        self.group = group
    }

    /// The next offsets to read, as stored with the rows, for the partitions that have them.
    func storedOffsets(for partitions: [KafkaTopicPartition]) throws -> [KafkaTopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let result = try connection.query("""
            SELECT o.topic, o.kafka_partition, o.next_offset FROM \(OwnTables.kafkaOffset) o
              JOIN unnest($2::text[], $3::integer[]) AS p(topic, kafka_partition) USING (topic, kafka_partition)
             WHERE o.consumer_group = $1
            """, [.text(group), .textArray(partitions.map(\.topic)), .text("{" + partitions.map { String($0.partition) }.joined(separator: ",") + "}")],
            statement: "read stored offsets")
        var offsets: [KafkaTopicPartition: Int64] = [:]
        for row in 0..<result.rowCount {
            offsets[KafkaTopicPartition(topic: result.string(row, 0)!, partition: try result.int32(row, 1)!)] = try result.int64(row, 2)!
        }
        return offsets
    }

    /// Forgets the stored offsets of these topics (`--reset`: read them again from the start).
    func forgetOffsets(topics: [String]) throws {
        try connection.query("DELETE FROM \(OwnTables.kafkaOffset) WHERE consumer_group = $1 AND topic = ANY($2)",
                             [.text(group), .textArray(topics)], statement: "forget stored offsets")
    }

    /// Stores one consumed batch. Messages at offsets already stored (by an earlier run or by
    /// another instance that held the partition) are skipped, so storing is idempotent.
    func store(_ items: [Result<StoredClassification, DeadLetter>]) throws -> Outcome {
        guard !items.isEmpty else { return Outcome() }
        do {
            return try storeInOneTransaction(items)
        } catch let failure as PostgresError where !failure.isConnectionLoss && items.count > 1 {
            // Something the checks did not foresee: store one by one so only the culprit is set aside.
            var total = Outcome()
            for item in items {
                let single: Outcome
                do {
                    single = try storeInOneTransaction([item])
                } catch let failure as PostgresError where !failure.isConnectionLoss {
                    single = try storeInOneTransaction([.failure(Self.deadLetter(for: item, error: failure.description))])
                }
                total.messages += single.messages
                total.classifiersAdded += single.classifiersAdded
                total.deadLetters += single.deadLetters
                total.alreadyStored += single.alreadyStored
            }
            return total
        }
    }

    private static func deadLetter(for item: Result<StoredClassification, DeadLetter>, error: String) -> DeadLetter {
        switch item {
        case .failure(let letter): return letter
        case .success(let stored):
            let payload = AvroCodec.encode(stored.message)
            return DeadLetter(topic: stored.topic, partition: stored.partition, offset: stored.offset, kafkaTimestamp: stored.kafkaTimestamp,
                              payload: Array(payload.prefix(DeadLetter.maximumPayloadBytes)), size: payload.count, error: error)
        }
    }

    private func storeInOneTransaction(_ items: [Result<StoredClassification, DeadLetter>]) throws -> Outcome {
        var outcome = Outcome()
        var newClassifiers: [ClassifierKey: Int64] = [:]
        try connection.transaction {
            let position = { (item: Result<StoredClassification, DeadLetter>) -> (KafkaTopicPartition, Int64) in
                switch item {
                case .success(let stored): (KafkaTopicPartition(topic: stored.topic, partition: stored.partition), stored.offset)
                case .failure(let letter): (KafkaTopicPartition(topic: letter.topic, partition: letter.partition), letter.offset)
                }
            }
            let partitions = Array(Set(items.map { position($0).0 }))
            let topics = PostgresValue.textArray(partitions.map(\.topic))
            let numbers = PostgresValue.text("{" + partitions.map { String($0.partition) }.joined(separator: ",") + "}")
            try connection.query("""
                INSERT INTO \(OwnTables.kafkaOffset) (consumer_group, topic, kafka_partition, next_offset)
                SELECT $1, t, p, 0 FROM unnest($2::text[], $3::integer[]) AS x(t, p)
                ON CONFLICT DO NOTHING
                """, [.text(group), topics, numbers], statement: "create offset rows")
            let locked = try connection.query("""
                SELECT o.topic, o.kafka_partition, o.next_offset FROM \(OwnTables.kafkaOffset) o
                  JOIN unnest($2::text[], $3::integer[]) AS p(topic, kafka_partition) USING (topic, kafka_partition)
                 WHERE o.consumer_group = $1 ORDER BY 1, 2 FOR UPDATE OF o
                """, [.text(group), topics, numbers], statement: "lock stored offsets")
            var stored: [KafkaTopicPartition: Int64] = [:]
            for row in 0..<locked.rowCount {
                stored[KafkaTopicPartition(topic: locked.string(row, 0)!, partition: try locked.int32(row, 1)!)] = try locked.int64(row, 2)!
            }
            let fresh = items.filter { item in
                let (partition, offset) = position(item)
                return offset >= stored[partition, default: 0]
            }
            outcome.alreadyStored = items.count - fresh.count
            let messages = fresh.compactMap { if case .success(let message) = $0 { message } else { nil } }
            let letters = fresh.compactMap { if case .failure(let letter) = $0 { letter } else { nil } }

            let ids = try classifierIds(for: messages, adding: &newClassifiers)
            outcome.classifiersAdded = newClassifiers.count
            if !messages.isEmpty {
                let ingested = PostgresTimestamp.now
                try connection.copyIn("""
                    COPY elasticc2_brokermessage (streammessage_id, topicname, alert_id, diasource_id, msghdrtimestamp, descingesttimestamp,
                                                  elasticcpublishtimestamp, brokeringesttimestamp, classifier_id, classid, probability) FROM STDIN
                    """, statement: "copy broker messages") { buffer in
                    for item in messages {
                        let message = item.message
                        buffer.append(item.offset)
                        buffer.append(item.topic)
                        buffer.append(message.alertId)
                        buffer.append(message.diaSourceId)
                        buffer.append(item.kafkaTimestamp.map(PostgresTimestamp.init(millisecondsSinceEpoch:)))
                        buffer.append(ingested)
                        buffer.append(PostgresTimestamp(millisecondsSinceEpoch: message.elasticcPublishTimestamp))
                        buffer.append(message.brokerIngestTimestamp.map(PostgresTimestamp.init(millisecondsSinceEpoch:)))
                        buffer.append(ids[ClassifierKey(message)]!)
                        buffer.append(smallints: item.classIds)
                        buffer.append(reals: item.probabilities)
                        try buffer.endRow()
                    }
                }
                try connection.query("""
                    INSERT INTO elasticc2_brokersourceids (diasource_id) SELECT DISTINCT unnest($1::bigint[]) ON CONFLICT DO NOTHING
                    """, [.bigintArray(messages.map(\.message.diaSourceId))], statement: "insert broker source ids")
            }
            for letter in letters {
                try connection.query("""
                    INSERT INTO \(OwnTables.deadLetter) (component, topic, kafka_partition, kafka_offset, kafka_timestamp, payload, payload_size, error)
                    VALUES ('broker-poll', $1, $2, $3, $4, decode($5, 'hex'), $6, $7)
                    """, [.text(letter.topic), .integer(letter.partition), .bigint(letter.offset),
                          letter.kafkaTimestamp.map { .timestamp(PostgresTimestamp(millisecondsSinceEpoch: $0)) } ?? .null,
                          .text(letter.payload.map { String(format: "%02x", $0) }.joined()), .integer(Int32(clamping: letter.size)),
                          .text(letter.error)], statement: "insert dead letter")
            }
            var next: [KafkaTopicPartition: Int64] = [:]
            for item in fresh {
                let (partition, offset) = position(item)
                next[partition] = max(next[partition] ?? 0, offset + 1)
            }
            if !next.isEmpty {
                let keys = Array(next.keys)
                try connection.query("""
                    UPDATE \(OwnTables.kafkaOffset) o SET next_offset = x.n, updated_at = now()
                      FROM unnest($2::text[], $3::integer[], $4::bigint[]) AS x(t, p, n)
                     WHERE o.consumer_group = $1 AND o.topic = x.t AND o.kafka_partition = x.p
                    """, [.text(group), .textArray(keys.map(\.topic)),
                          .text("{" + keys.map { String($0.partition) }.joined(separator: ",") + "}"), .bigintArray(keys.map { next[$0]! })],
                    statement: "advance stored offsets")
            }
            outcome.messages = messages.count
            outcome.deadLetters = letters.count
        }
        // Only ids from a committed transaction are remembered.
        classifierIds.withLock { $0.merge(newClassifiers) { old, _ in old } }
        return outcome
    }

    /// Finds or creates the classifier rows for a batch; creation is serialised by an advisory lock.
    private func classifierIds(for messages: [StoredClassification], adding created: inout [ClassifierKey: Int64]) throws -> [ClassifierKey: Int64] {
        var known = classifierIds.withLock { $0 }
        let missing = Array(Set(messages.map { ClassifierKey($0.message) }).filter { known[$0] == nil })
        guard !missing.isEmpty else { return known }
        try connection.advisoryTransactionLock(Self.classifierLockKey)
        let found = try connection.query("""
            SELECT c.classifier_id, c.brokername, c.brokerversion, c.classifiername, c.classifierparams
              FROM elasticc2_brokerclassifier c
              JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS k(b, v, n, p)
                ON c.brokername = k.b AND c.brokerversion IS NOT DISTINCT FROM k.v
               AND c.classifiername = k.n AND c.classifierparams IS NOT DISTINCT FROM k.p
             ORDER BY c.classifier_id
            """, [.textArray(missing.map(\.brokerName)), .textArray(missing.map(\.brokerVersion)),
                  .textArray(missing.map(\.classifierName)), .textArray(missing.map(\.classifierParams))],
            statement: "find classifiers")
        for row in 0..<found.rowCount {
            let key = ClassifierKey(brokerName: found.string(row, 1)!, brokerVersion: found.string(row, 2) ?? "",
                                    classifierName: found.string(row, 3)!, classifierParams: found.string(row, 4) ?? "")
            if known[key] == nil { known[key] = try found.int64(row, 0)! }
        }
        for key in missing where known[key] == nil {
            let inserted = try connection.query("""
                INSERT INTO elasticc2_brokerclassifier (brokername, brokerversion, classifiername, classifierparams, modified)
                VALUES ($1, $2, $3, $4, now()) RETURNING classifier_id
                """, [.text(key.brokerName), .text(key.brokerVersion), .text(key.classifierName), .text(key.classifierParams)],
                statement: "create classifier")
            let id = try inserted.int64(0, 0)!
            known[key] = id
            created[key] = id
        }
        return known
    }
}

extension ClassificationStore.ClassifierKey {
    init(_ message: BrokerClassification) {
        self.init(brokerName: message.brokerName, brokerVersion: message.brokerVersion,
                  classifierName: message.classifierName, classifierParams: message.classifierParams)
    }
}
