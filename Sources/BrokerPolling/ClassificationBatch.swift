import AvroSchemas
import Kafka

/// A consumed broker message turned into what the TOM's tables hold, or the reason it cannot be.
struct StoredClassification: Sendable {
    var topic: String
    var partition: Int32
    var offset: Int64
    var kafkaTimestamp: Int64?
    var message: BrokerClassification
    var classIds: [Int16]
    var probabilities: [Float]
}

/// A message that goes to the dead-letter table instead.
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
}

enum ClassificationValidation {
    /// PostgreSQL's timestamp range, trimmed to years 1–9999.
    static let timestampRange: ClosedRange<Int64> = -62_135_596_800_000...253_402_300_799_999

    private static func holdsNUL(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { $0.contains(0) }
    }

    /// Decodes and checks one message against everything the tables will refuse.
    static func validate(_ message: KafkaMessage) -> Result<StoredClassification, DeadLetter> {
        func dead(_ reason: String) -> Result<StoredClassification, DeadLetter> {
            .failure(
                DeadLetter(
                    topic: message.topic, partition: message.partition, offset: message.offset, kafkaTimestamp: message.timestamp,
                    payload: Array((message.value ?? []).prefix(DeadLetter.maximumPayloadBytes)),
                    size: message.value?.count ?? 0, error: reason))
        }
        guard let value = message.value else { return dead("empty message (tombstone)") }
        let decoded: BrokerClassification
        do {
            decoded = try AvroCodec.decodeFramed(BrokerClassification.self, from: value).record
        } catch {
            return dead("not a brokerClassification v0_9_1 message: \(error)")
        }
        var classIds: [Int16] = []
        classIds.reserveCapacity(decoded.classifications.count)
        for classification in decoded.classifications {
            guard let classId = Int16(exactly: classification.classId) else {
                return dead("classId \(classification.classId) does not fit smallint")
            }
            classIds.append(classId)
        }
        let probabilities = decoded.classifications.map(\.probability)
        guard probabilities.count == classIds.count else { return dead("classId and probability arrays differ in length") }
        // Characters are counted only when the bytes could exceed the limit (counting is slow).
        if decoded.brokerName.utf8.count > 100, decoded.brokerName.count > 100 { return dead("brokerName longer than 100 characters") }
        if decoded.classifierName.utf8.count > 200, decoded.classifierName.count > 200 {
            return dead("classifierName longer than 200 characters")
        }
        if holdsNUL(decoded.brokerName) || holdsNUL(decoded.brokerVersion) || holdsNUL(decoded.classifierName) || holdsNUL(decoded.classifierParams) {
            return dead("a string holds a NUL character")
        }
        for stamp in [decoded.elasticcPublishTimestamp, decoded.brokerIngestTimestamp ?? 0, message.timestamp ?? 0]
        where !timestampRange.contains(stamp) {
            return dead("timestamp \(stamp) ms is out of range")
        }
        return .success(
            StoredClassification(
                topic: message.topic, partition: message.partition, offset: message.offset, kafkaTimestamp: message.timestamp,
                message: decoded, classIds: classIds, probabilities: probabilities))
    }
}
