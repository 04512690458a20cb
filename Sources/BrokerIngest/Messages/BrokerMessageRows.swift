import Postgres

/// Where a stored message came from, as its `elasticc2_brokermessage` row records it.
public struct BrokerMessageOrigin: Sendable, Equatable {
    /// `topicname`: the Kafka topic, or `REST_push`.
    public var topic: String
    /// `streammessage_id`: the Kafka offset, or -1 for a REST push.
    public var offset: Int64
    /// `msghdrtimestamp`: the Kafka message's timestamp, or the broker's publish time of a push.
    public var headerTimestamp: PostgresTimestamp?

    public init(topic: String, offset: Int64, headerTimestamp: PostgresTimestamp?) {
        self.topic = topic
        self.offset = offset
        self.headerTimestamp = headerTimestamp
    }

    /// The TOM's marks on a message a broker PUT over HTTP.
    public static func restPush(publishedAt: PostgresTimestamp?) -> BrokerMessageOrigin {
        BrokerMessageOrigin(topic: "REST_push", offset: -1, headerTimestamp: publishedAt)
    }
}

/// The row of `elasticc2_brokermessage`, written by one COPY writer for both ways in.
public enum BrokerMessageRows {
    /// The columns a stored message fills (`brokermessage_id` comes from its sequence).
    public static let columns = """
        streammessage_id, topicname, alert_id, diasource_id, msghdrtimestamp, descingesttimestamp, elasticcpublishtimestamp, \
        brokeringesttimestamp, classifier_id, classid, probability
        """

    /// `COPY` of rows in `columns`' order into `table` (the TOM's, or a staging table with those columns).
    public static func copy(into table: String = "elasticc2_brokermessage") -> String {
        "COPY \(table) (\(columns)) FROM STDIN"
    }

    /// One row; `ingested` is `descingesttimestamp`, when the message was taken in.
    @inline(__always)
    public static func append(
        _ message: BrokerMessage, topic: String, offset: Int64, headerTimestamp: PostgresTimestamp?, classifierId: Int64,
        ingested: PostgresTimestamp, to buffer: CopyInBuffer
    ) throws {
        buffer.append(offset)
        buffer.append(topic)
        buffer.append(message.alertId)
        buffer.append(message.diaSourceId)
        buffer.append(headerTimestamp)
        buffer.append(ingested)
        buffer.append(message.elasticcPublishTimestamp)
        buffer.append(message.brokerIngestTimestamp)
        buffer.append(classifierId)
        buffer.append(smallints: message.classIds)
        buffer.append(reals: message.probabilities)
        try buffer.endRow()
    }

    public static func append(
        _ message: BrokerMessage, from origin: BrokerMessageOrigin, classifierId: Int64, ingested: PostgresTimestamp, to buffer: CopyInBuffer
    ) throws {
        try append(
            message, topic: origin.topic, offset: origin.offset, headerTimestamp: origin.headerTimestamp, classifierId: classifierId,
            ingested: ingested, to: buffer)
    }
}
