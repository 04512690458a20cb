import AvroSchemas
import Kafka
import Postgres

/// A consumed broker message turned into what the TOM's tables hold.
struct ConsumedMessage: Sendable {
    var topic: String
    var partition: Int32
    var offset: Int64
    /// The Kafka message's timestamp (`msghdrtimestamp`).
    var headerTimestamp: PostgresTimestamp?
    var message: BrokerMessage
}

/// A message that goes to the dead-letter table instead, with the reason.
struct DeadLetter: Error, Sendable {
    static let maximumPayloadBytes = 65_536

    var topic: String
    var partition: Int32
    var offset: Int64
    var kafkaTimestamp: Int64?
    /// The first `maximumPayloadBytes` of the message.
    var payload: [UInt8]
    /// The message's full size.
    var size: Int
    var error: String

    init(topic: String, partition: Int32, offset: Int64, kafkaTimestamp: Int64?, payload: [UInt8], error: String) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.kafkaTimestamp = kafkaTimestamp
        self.payload = Array(payload.prefix(Self.maximumPayloadBytes))
        self.size = payload.count
        self.error = error
    }
}

extension ConsumedMessage {
    /// Decodes one Kafka message and checks it as every broker message is checked.
    static func validate(_ message: KafkaMessage) -> Result<ConsumedMessage, DeadLetter> {
        func dead(_ reason: String) -> Result<ConsumedMessage, DeadLetter> {
            .failure(
                DeadLetter(
                    topic: message.topic, partition: message.partition, offset: message.offset, kafkaTimestamp: message.timestamp,
                    payload: message.value ?? [], error: reason))
        }
        guard let value = message.value else { return dead("empty message (tombstone)") }
        let record: BrokerClassification
        do {
            record = try AvroCodec.decodeFramed(BrokerClassification.self, from: value).record
        } catch {
            return dead("not a brokerClassification v0_9_1 message: \(error)")
        }
        do {
            let headerTimestamp = try message.timestamp.map { (milliseconds: Int64) throws(BrokerMessage.Invalid) in
                try BrokerMessage.timestamp(milliseconds: milliseconds, field: "the Kafka timestamp")
            }
            return .success(
                ConsumedMessage(
                    topic: message.topic, partition: message.partition, offset: message.offset, headerTimestamp: headerTimestamp,
                    message: try BrokerMessage(validating: record)))
        } catch {
            return dead(error.description)
        }
    }
}
