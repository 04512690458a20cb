import AvroSchemas
import Foundation
import Kafka
import Postgres
import Synchronization
import TOMDatabase

/// Stores broker messages as the TOM's `BrokerMessage.load_batch` does, in one transaction per
/// batch together with the consumed offsets, so a crash at any instant loses and doubles nothing.
/// An actor on its connection's executor: every statement runs on that connection's thread.
actor ClassificationStore {
    typealias ClassifierKey = BrokerClassifiers.Key

    struct Outcome: Sendable, Equatable {
        var messages = 0
        var classifiersAdded = 0
        var deadLetters = 0
        var alreadyStored = 0
        /// The same counts by topic (for the metrics).
        var byTopic: [String: TopicCounts] = [:]
        /// The next offset to read of each partition this batch advanced.
        var nextOffsets: [KafkaTopicPartition: Int64] = [:]

        mutating func add(_ other: Outcome) {
            messages += other.messages
            classifiersAdded += other.classifiersAdded
            deadLetters += other.deadLetters
            alreadyStored += other.alreadyStored
            byTopic.merge(other.byTopic) { $0 + $1 }
            nextOffsets.merge(other.nextOffsets) { max($0, $1) }
        }
    }

    /// A consumed batch, summed up, with its COPY rows built ahead when every classifier's id was known.
    struct PreparedBatch: Sendable {
        var items: [Result<ConsumedMessage, DeadLetter>]
        var summary: BatchSummary
        /// The rows of every decoded message, in order.
        var rows: CopyPayload?
    }

    nonisolated let connection: PostgresConnection
    let group: String
    private var classifierIds: [ClassifierKey: Int64] = [:]
    /// The committed classifier ids, for building rows away from the connection's thread.
    private nonisolated let knownClassifierIds = Mutex<[ClassifierKey: Int64]>([:])
    /// The batch's source ids, on a second session alongside the messages' transaction.
    private let sourceIds: SourceIdWriter

    nonisolated var unownedExecutor: UnownedSerialExecutor { connection.executor.asUnownedSerialExecutor() }

    init(connection: PostgresConnection, sourceIds: SourceIdWriter, group: String) {
        self.connection = connection
        self.sourceIds = sourceIds
        self.group = group
    }

    /// A store on a new session; `sourceIds`: a source-id session shared with other stores
    /// (nil: one of its own).
    static func open(conninfo: String, group: String, sourceIds: SourceIdWriter? = nil) async throws -> ClassificationStore {
        async let messages = PostgresConnection.open(conninfo, applicationName: "broker-poll")
        let writer: SourceIdWriter
        if let sourceIds { writer = sourceIds } else { writer = try await SourceIdWriter.open(conninfo: conninfo) }
        return ClassificationStore(connection: try await messages, sourceIds: writer, group: group)
    }

    /// Builds a batch's COPY rows on the calling thread (the poller's, while the connection
    /// stores the previous batch), so the connection only sends them and the server does not
    /// wait for them to be built. Their `descingesttimestamp` is now, when the
    /// batch was taken in. Without every classifier's id (a new classifier), the rows are
    /// built in the transaction instead.
    nonisolated func prepare(_ items: [Result<ConsumedMessage, DeadLetter>]) -> PreparedBatch {
        let summary = BatchSummary(items)
        guard !summary.messages.isEmpty else { return PreparedBatch(items: items, summary: summary, rows: nil) }
        let known = knownClassifierIds.withLock { $0 }
        let ingested = PostgresTimestamp.now
        let rows = try? CopyPayload.build { buffer in
            try Self.appendRows(summary.messages, classifierIds: known, ingested: ingested, to: buffer)
        }
        return PreparedBatch(items: items, summary: summary, rows: rows)
    }

    /// The `elasticc2_brokermessage` rows of decoded messages; a classifier without an id throws.
    private static func appendRows(
        _ messages: [ConsumedMessage], classifierIds: [ClassifierKey: Int64], ingested: PostgresTimestamp, to buffer: CopyInBuffer
    ) throws {
        var recentIds: [(key: ClassifierKey, id: Int64)] = []
        for item in messages {
            let message = item.message
            // A broker has a handful of classifiers: finding the row's among the last few seen
            // compares short strings, where the dictionary hashed four strings a row.
            let classifier: Int64
            if let recent = recentIds.first(where: { $0.key == message.classifier }) {
                classifier = recent.id
            } else {
                guard let id = classifierIds[message.classifier] else {
                    throw PostgresError(
                        kind: .decoding, statement: "copy broker messages", message: "no classifier id for \(message.classifier.classifierName)")
                }
                if recentIds.count == 8 { recentIds.removeFirst() }
                recentIds.append((message.classifier, id))
                classifier = id
            }
            try BrokerMessageRows.append(
                message, topic: item.topic, offset: item.offset, headerTimestamp: item.headerTimestamp, classifierId: classifier,
                ingested: ingested, to: buffer)
        }
    }

    /// Stores a batch; a cancelled task cancels the statement in flight (the transaction then
    /// rolls back, and the batch is read again from the stored offsets).
    nonisolated func storeCancellably(_ batch: PreparedBatch) async throws -> Outcome {
        try await withTaskCancellationHandler {
            try await store(batch)
        } onCancel: {
            connection.cancelRunningStatement()
        }
    }

    /// The next offsets to read, as stored with the rows, for the partitions that have them.
    func storedOffsets(for partitions: [KafkaTopicPartition]) throws -> [KafkaTopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let result = try connection.query(
            """
            SELECT o.topic, o.kafka_partition, o.next_offset FROM \(unescaped: OwnTables.kafkaOffset) o
              JOIN unnest(\(partitions.map(\.topic))::text[], \(partitions.map(\.partition))::integer[]) AS p(topic, kafka_partition)
                   USING (topic, kafka_partition)
             WHERE o.consumer_group = \(group)
            """, statement: "read stored offsets")
        return try Self.offsets(result)
    }

    /// Rows of `topic, kafka_partition, next_offset`.
    private static func offsets(_ result: PostgresResult) throws -> [KafkaTopicPartition: Int64] {
        var offsets: [KafkaTopicPartition: Int64] = [:]
        for row in result.rows {
            let (topic, partition, next) = try row.decode((String, Int32, Int64).self)
            offsets[KafkaTopicPartition(topic: topic, partition: partition)] = next
        }
        return offsets
    }

    /// Forgets the stored offsets of these topics (`--reset`: read them again from the start).
    func forgetOffsets(topics: [String]) throws {
        try connection.query(
            "DELETE FROM \(unescaped: OwnTables.kafkaOffset) WHERE consumer_group = \(group) AND topic = ANY(\(topics))",
            statement: "forget stored offsets")
    }

    /// Stores one consumed batch. Messages at offsets already stored (by an earlier run or by
    /// another instance that held the partition) are skipped, so storing is idempotent.
    func store(_ batch: PreparedBatch) throws -> Outcome {
        let items = batch.items
        guard !items.isEmpty else { return Outcome() }
        let sources = sourceIds.start(batch.summary.sourceIds)
        do {
            defer { _ = try? sources.wait() }  // the second session is idle again whatever happened here
            return try storeInOneTransaction(items, summary: batch.summary, rows: batch.rows, sources: sources)
        } catch let failure as PostgresError where !failure.isConnectionLoss && !failure.isCancellation && items.count > 1 {
            // Something the checks did not foresee: store one by one so only the culprit is set aside.
            var total = Outcome()
            for item in items {
                let single: Outcome
                do {
                    single = try storeInOneTransaction([item], summary: BatchSummary([item]), rows: nil, sources: nil)
                } catch let failure as PostgresError where !failure.isConnectionLoss && !failure.isCancellation {
                    let letter: BatchSummary.Item = .failure(Self.deadLetter(for: item, error: failure.description))
                    single = try storeInOneTransaction([letter], summary: BatchSummary([letter]), rows: nil, sources: nil)
                }
                total.add(single)
            }
            return total
        }
    }

    private static func deadLetter(for item: Result<ConsumedMessage, DeadLetter>, error: String) -> DeadLetter {
        switch item {
        case .failure(let letter): return letter
        case .success(let stored):
            // The message's bytes were let go once decoded; its record, encoded again, stands in for them.
            return DeadLetter(
                topic: stored.topic, partition: stored.partition, offset: stored.offset,
                kafkaTimestamp: stored.headerTimestamp?.millisecondsSinceEpoch, payload: AvroCodec.encode(stored.message.record), error: error)
        }
    }

    /// `summary`: the items' summary; `rows`: the decoded messages' rows built ahead (sent only
    /// when none was stored before); `sources`: the batch's source ids, being stored on the second
    /// session (waited for before the commit); nil stores them in this transaction.
    private func storeInOneTransaction(
        _ items: [BatchSummary.Item], summary: BatchSummary, rows: CopyPayload?, sources: PendingSourceIds?
    ) throws -> Outcome {
        var outcome = Outcome()
        var newClassifiers: [ClassifierKey: Int64] = [:]
        var learnedIds: [ClassifierKey: Int64] = [:]
        try connection.transaction {
            let partitions = Array(summary.firstOffsets.keys)
            let topics = partitions.map(\.topic)
            let numbers = partitions.map(\.partition)
            try connection.query(
                """
                INSERT INTO \(unescaped: OwnTables.kafkaOffset) (consumer_group, topic, kafka_partition, next_offset)
                SELECT \(group), t, p, 0 FROM unnest(\(topics)::text[], \(numbers)::integer[]) AS x(t, p)
                ON CONFLICT DO NOTHING
                """, statement: "create offset rows")
            let locked = try connection.query(
                """
                SELECT o.topic, o.kafka_partition, o.next_offset FROM \(unescaped: OwnTables.kafkaOffset) o
                  JOIN unnest(\(topics)::text[], \(numbers)::integer[]) AS p(topic, kafka_partition) USING (topic, kafka_partition)
                 WHERE o.consumer_group = \(group) ORDER BY 1, 2 FOR UPDATE OF o
                """, statement: "lock stored offsets")
            let stored = try Self.offsets(locked)
            // Usually nothing was stored before: a comparison a partition. Otherwise the items
            // already stored are left out, and the rest summed up again.
            let fresh: BatchSummary
            if summary.firstOffsets.allSatisfy({ $0.value >= stored[$0.key, default: 0] }) {
                fresh = summary
                outcome.byTopic = summary.byTopic
            } else {
                var freshItems: [BatchSummary.Item] = []
                for item in items {
                    let (partition, offset) = BatchSummary.position(of: item)
                    if offset >= stored[partition, default: 0] {
                        freshItems.append(item)
                    } else {
                        outcome.byTopic[partition.topic, default: TopicCounts()].alreadyStored += 1
                    }
                }
                fresh = BatchSummary(freshItems)
                outcome.byTopic.merge(fresh.byTopic) { $0 + $1 }
                outcome.alreadyStored = items.count - freshItems.count
            }
            let messages = fresh.messages
            let letters = fresh.letters

            // Rows built ahead hold every message (none was stored before) and their classifiers'
            // ids, all known then: nothing to look up or create.
            let prebuilt = rows.flatMap { $0.rowCount == messages.count ? $0 : nil }
            let ids = prebuilt == nil ? try classifierIds(for: messages, adding: &newClassifiers) : [:]
            learnedIds = ids
            outcome.classifiersAdded = newClassifiers.count
            if !messages.isEmpty {
                if let prebuilt {
                    try connection.copyIn(BrokerMessageRows.copy(), payload: prebuilt, statement: "copy broker messages")
                } else {
                    let ingested = PostgresTimestamp.now
                    try connection.copyIn(BrokerMessageRows.copy(), statement: "copy broker messages") { buffer in
                        try Self.appendRows(messages, classifierIds: ids, ingested: ingested, to: buffer)
                    }
                }
                if sources == nil {
                    try SourceIdWriter.insert(fresh.sourceIds, on: connection, inTransaction: true)
                }
            }
            for letter in letters {
                let kafkaTimestamp = letter.kafkaTimestamp.map(PostgresTimestamp.init(millisecondsSinceEpoch:))
                try connection.query(
                    """
                    INSERT INTO \(unescaped: OwnTables.deadLetter)
                           (component, topic, kafka_partition, kafka_offset, kafka_timestamp, payload, payload_size, error)
                    VALUES ('broker-poll', \(letter.topic), \(letter.partition), \(letter.offset), \(kafkaTimestamp),
                            \(PostgresValue.bytea(letter.payload)), \(Int32(clamping: letter.size)), \(letter.error))
                    """, statement: "insert dead letter")
            }
            let next = fresh.nextOffsets
            if !next.isEmpty {
                let keys = Array(next.keys)
                try connection.query(
                    """
                    UPDATE \(unescaped: OwnTables.kafkaOffset) o SET next_offset = x.n, updated_at = now()
                      FROM unnest(\(keys.map(\.topic))::text[], \(keys.map(\.partition))::integer[], \(keys.compactMap { next[$0] })::bigint[])
                           AS x(t, p, n)
                     WHERE o.consumer_group = \(group) AND o.topic = x.t AND o.kafka_partition = x.p
                    """, statement: "advance stored offsets")
                outcome.nextOffsets = next
            }
            outcome.messages = messages.count
            outcome.deadLetters = letters.count
            try sources?.wait()
        }
        // Only ids from a committed transaction are remembered: those it created and those it
        // found (stored by an earlier run or another instance), so the next batches' rows are
        // built ahead and no batch looks them up again.
        let knownBefore = classifierIds.count
        classifierIds.merge(learnedIds) { old, _ in old }
        if classifierIds.count != knownBefore { knownClassifierIds.withLock { $0 = classifierIds } }
        return outcome
    }

    /// Finds or creates the classifier rows for a batch.
    private func classifierIds(for messages: [ConsumedMessage], adding created: inout [ClassifierKey: Int64]) throws -> [ClassifierKey: Int64] {
        let found = try BrokerClassifiers.ids(for: Set(messages.map(\.message.classifier)), known: classifierIds, on: connection)
        created.merge(found.created) { first, _ in first }
        return found.all
    }
}
