import Postgres

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
            let ids = try BrokerClassifiers.ids(for: Set(messages.map(\.message.classifier)), known: [:], on: connection).all
            // Staged in a table of the message rows' columns, so the unique index on REST rows can
            // skip those already stored while the rest keep their order (`ctid`: as copied).
            try connection.query(
                "CREATE TEMP TABLE es_pushed ON COMMIT DROP AS SELECT \(unescaped: BrokerMessageRows.columns) FROM elasticc2_brokermessage WITH NO DATA",
                statement: "stage pushed messages")
            let ingested = PostgresTimestamp.now
            try connection.copyIn(BrokerMessageRows.copy(into: "es_pushed"), statement: "copy pushed messages") { buffer in
                for push in messages {
                    guard let classifier = ids[push.message.classifier] else { continue }
                    try BrokerMessageRows.append(
                        push.message, from: .restPush(publishedAt: push.brokerPublishTimestamp), classifierId: classifier, ingested: ingested,
                        to: buffer)
                }
            }
            // The unique index on REST rows makes a message already stored (by this request, an
            // earlier one, or a concurrent retry, which waits for it) a conflict that is skipped.
            let inserted = try connection.query(
                """
                INSERT INTO elasticc2_brokermessage (\(unescaped: BrokerMessageRows.columns))
                SELECT \(unescaped: BrokerMessageRows.columns) FROM es_pushed ORDER BY ctid
                ON CONFLICT (classifier_id, alert_id, diasource_id, elasticcpublishtimestamp, brokeringesttimestamp, classid, probability)
                   WHERE topicname = 'REST_push' DO NOTHING
                RETURNING brokermessage_id
                """, statement: "store pushed messages")
            try SourceIdWriter.insert(Array(Set(messages.map(\.message.diaSourceId))).sorted(), on: connection, inTransaction: true)
            var first: Int64?
            for row in inserted.rows {
                let id = try row.decode(Int64.self)
                first = min(first ?? id, id)
            }
            return Outcome(firstMessageId: first, loaded: inserted.rowCount, alreadyStored: messages.count - inserted.rowCount)
        }
    }
}
