import Postgres
import TOMDatabase

/// Stores messages brokers PUT over HTTP as the TOM's `BrokerMessage.load_batch` does for
/// them: topic `REST_push`, offset -1, `msghdrtimestamp` = the broker's publish time,
/// `descingesttimestamp` = now, classifiers found or created, source ids queued for
/// update-sources; one transaction per request.
///
/// Exactly once: a message identical to one already stored from REST — same classifier (broker
/// name and version, classifier name and parameters), alert, source, ELAsTiCC publish time,
/// broker ingest time, class ids and probabilities — is not stored again (nor twice within one
/// request). Pushes of one classifier are serialised by a transaction lock on its id, so two
/// retries racing each other cannot both store.
public enum PushedMessageStore {
    public struct Outcome: Sendable, Equatable {
        /// The first new row's id, or nil when nothing was new.
        public var firstMessageId: Int64?
        public var loaded: Int
        public var alreadyStored: Int

        public init(firstMessageId: Int64?, loaded: Int, alreadyStored: Int) {
            self.firstMessageId = firstMessageId
            self.loaded = loaded
            self.alreadyStored = alreadyStored
        }
    }

    struct Identity: Hashable {
        var classifier: Int64
        var alertId: Int64
        var diaSourceId: Int64
        var elasticcPublished: Int64
        var brokerIngested: Int64
        var classIds: [Int16]
        var probabilities: [Float]
    }

    /// Blocking: run on the connection's executor.
    public static func store(_ messages: [BrokerMessagePush], on connection: PostgresConnection) throws -> Outcome {
        try connection.transaction {
            let keys = messages.map(key(of:))
            let ids = try BrokerClassifiers.ids(for: Set(keys), known: [:], on: connection).all
            let classifiers = Set(ids.values).sorted()
            for classifier in classifiers {
                try connection.query(
                    "SELECT pg_advisory_xact_lock(\(pushLockSpace), \(Int32(truncatingIfNeeded: classifier)))", statement: "lock pushes")
            }
            var seen = try storedIdentities(alertIds: Array(Set(messages.map(\.alertId))), classifiers: classifiers, on: connection)
            var fresh: [(BrokerMessagePush, Int64)] = []
            for (message, key) in zip(messages, keys) {
                guard let classifier = ids[key] else { continue }
                if seen.insert(identity(message, classifier: classifier)).inserted { fresh.append((message, classifier)) }
            }
            var outcome = Outcome(firstMessageId: nil, loaded: fresh.count, alreadyStored: messages.count - fresh.count)
            guard !fresh.isEmpty else { return outcome }
            // Ids drawn first, so the answer can name the first new row as the TOM's does.
            let drawn = try connection.query(
                """
                SELECT nextval(pg_get_serial_sequence('elasticc2_brokermessage', 'brokermessage_id'))
                  FROM generate_series(1, \(fresh.count))
                """, statement: "draw message ids")
            var rowIds: [Int64] = []
            rowIds.reserveCapacity(fresh.count)
            for row in 0..<drawn.rowCount { rowIds.append(try drawn.value(row, 0, as: Int64.self)) }
            let ingested = PostgresTimestamp.now
            try connection.copyIn(
                """
                COPY elasticc2_brokermessage (brokermessage_id, streammessage_id, topicname, alert_id, diasource_id, msghdrtimestamp,
                                              descingesttimestamp, elasticcpublishtimestamp, brokeringesttimestamp, classifier_id, classid,
                                              probability) FROM STDIN
                """, statement: "copy pushed messages"
            ) { buffer in
                for ((message, classifier), rowId) in zip(fresh, rowIds) {
                    buffer.append(rowId)
                    buffer.append(Int64(-1))
                    buffer.append("REST_push")
                    buffer.append(message.alertId)
                    buffer.append(message.diaSourceId)
                    buffer.append(message.brokerPublishTimestamp.map(PostgresTimestamp.init(microsecondsSinceEpoch:)))
                    buffer.append(ingested)
                    buffer.append(PostgresTimestamp(microsecondsSinceEpoch: message.elasticcPublishTimestamp))
                    buffer.append(PostgresTimestamp(microsecondsSinceEpoch: message.brokerIngestTimestamp))
                    buffer.append(classifier)
                    buffer.append(smallints: message.classIds)
                    buffer.append(reals: message.probabilities)
                    try buffer.endRow()
                }
            }
            try connection.query(
                """
                INSERT INTO elasticc2_brokersourceids (diasource_id)
                SELECT DISTINCT unnest(\(fresh.map(\.0.diaSourceId))::bigint[]) ON CONFLICT DO NOTHING
                """, statement: "queue pushed source ids")
            outcome.firstMessageId = rowIds.first
            return outcome
        }
    }

    /// The advisory-lock space of REST pushes ("ESRP").
    static let pushLockSpace: Int32 = 0x4553_5250

    static func key(of message: BrokerMessagePush) -> BrokerClassifiers.Key {
        BrokerClassifiers.Key(
            brokerName: message.brokerName, brokerVersion: message.brokerVersion, classifierName: message.classifierName,
            classifierParams: message.classifierParams)
    }

    static func identity(_ message: BrokerMessagePush, classifier: Int64) -> Identity {
        Identity(
            classifier: classifier, alertId: message.alertId, diaSourceId: message.diaSourceId,
            elasticcPublished: message.elasticcPublishTimestamp, brokerIngested: message.brokerIngestTimestamp, classIds: message.classIds,
            probabilities: message.probabilities)
    }

    /// What REST already stored for these alerts and classifiers.
    static func storedIdentities(alertIds: [Int64], classifiers: [Int64], on connection: PostgresConnection) throws -> Set<Identity> {
        let stored = try connection.query(
            """
            SELECT classifier_id, alert_id, diasource_id, elasticcpublishtimestamp, brokeringesttimestamp, classid, probability
              FROM elasticc2_brokermessage
             WHERE topicname = 'REST_push' AND alert_id = ANY(\(alertIds)) AND classifier_id = ANY(\(classifiers))
            """, statement: "find stored pushes")
        var identities = Set<Identity>()
        for row in 0..<stored.rowCount {
            identities.insert(
                Identity(
                    classifier: try stored.value(row, 0), alertId: try stored.value(row, 1), diaSourceId: try stored.value(row, 2),
                    elasticcPublished: try stored.optional(row, 3, as: PostgresTimestamp.self)?.microsecondsSinceEpoch ?? .min,
                    brokerIngested: try stored.optional(row, 4, as: PostgresTimestamp.self)?.microsecondsSinceEpoch ?? .min,
                    classIds: try stored.value(row, 5), probabilities: try stored.value(row, 6)))
        }
        return identities
    }
}
