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
/// request): our unique index on REST rows (`elasticcstream_rest_push_once`, created by
/// `ppdb migrate`) turns it into a skipped conflict, so a retry racing its original waits for
/// it and stores nothing, without serialising pushes.
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

    /// Blocking: run on the connection's executor.
    public static func store(_ messages: [BrokerMessagePush], on connection: PostgresConnection) throws -> Outcome {
        try connection.transaction {
            let keys = messages.map(key(of:))
            let ids = try BrokerClassifiers.ids(for: Set(keys), known: [:], on: connection).all
            try connection.query(
                """
                CREATE TEMP TABLE es_pushed (
                    position integer, alert_id bigint, diasource_id bigint, msghdrtimestamp timestamptz,
                    elasticcpublishtimestamp timestamptz, brokeringesttimestamp timestamptz, classifier_id bigint,
                    classid smallint[], probability real[]) ON COMMIT DROP
                """, statement: "stage pushed messages")
            try connection.copyIn(
                """
                COPY es_pushed (position, alert_id, diasource_id, msghdrtimestamp, elasticcpublishtimestamp, brokeringesttimestamp,
                                classifier_id, classid, probability) FROM STDIN
                """, statement: "copy pushed messages"
            ) { buffer in
                for (position, (message, key)) in zip(messages, keys).enumerated() {
                    guard let classifier = ids[key] else { continue }
                    buffer.append(Int32(position))
                    buffer.append(message.alertId)
                    buffer.append(message.diaSourceId)
                    buffer.append(message.brokerPublishTimestamp.map(PostgresTimestamp.init(microsecondsSinceEpoch:)))
                    buffer.append(PostgresTimestamp(microsecondsSinceEpoch: message.elasticcPublishTimestamp))
                    buffer.append(PostgresTimestamp(microsecondsSinceEpoch: message.brokerIngestTimestamp))
                    buffer.append(classifier)
                    buffer.append(smallints: message.classIds)
                    buffer.append(reals: message.probabilities)
                    try buffer.endRow()
                }
            }
            // The unique index on REST rows makes a message already stored (by this request, an
            // earlier one, or a concurrent retry, which waits for it) a conflict that is skipped.
            let inserted = try connection.query(
                """
                INSERT INTO elasticc2_brokermessage (streammessage_id, topicname, alert_id, diasource_id, msghdrtimestamp, descingesttimestamp,
                                                     elasticcpublishtimestamp, brokeringesttimestamp, classifier_id, classid, probability)
                SELECT -1, 'REST_push', alert_id, diasource_id, msghdrtimestamp, now(), elasticcpublishtimestamp, brokeringesttimestamp,
                       classifier_id, classid, probability
                  FROM es_pushed ORDER BY position
                ON CONFLICT (classifier_id, alert_id, diasource_id, elasticcpublishtimestamp, brokeringesttimestamp, classid, probability)
                   WHERE topicname = 'REST_push' DO NOTHING
                RETURNING brokermessage_id
                """, statement: "store pushed messages")
            try connection.query(
                "INSERT INTO elasticc2_brokersourceids (diasource_id) SELECT DISTINCT diasource_id FROM es_pushed ON CONFLICT DO NOTHING",
                statement: "queue pushed source ids")
            var first: Int64?
            for row in 0..<inserted.rowCount {
                let id = try inserted.value(row, 0, as: Int64.self)
                first = min(first ?? id, id)
            }
            return Outcome(firstMessageId: first, loaded: inserted.rowCount, alreadyStored: messages.count - inserted.rowCount)
        }
    }

    static func key(of message: BrokerMessagePush) -> BrokerClassifiers.Key {
        BrokerClassifiers.Key(
            brokerName: message.brokerName, brokerVersion: message.brokerVersion, classifierName: message.classifierName,
            classifierParams: message.classifierParams)
    }
}
