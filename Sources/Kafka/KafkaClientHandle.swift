import CRdKafka
import Logging

/// Owns one `rd_kafka_t` and destroys it when the last user lets go.
///
/// `@unchecked Sendable`: librdkafka documents `rd_kafka_t` as fully thread-safe; this box only
/// carries the pointer between the threads that call into it.
final class KafkaClientHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    let logger: Logger

    init(type: rd_kafka_type_t, configuration: NativeConfiguration, logger: Logger) throws(KafkaError) {
        pointer = try configuration.makeClient(type: type)
        self.logger = logger
        // Route librdkafka's own log lines onto the main queue, where our poll loop turns them
        // into swift-log records.
        rd_kafka_set_log_queue(pointer, nil)
    }

    deinit {
        rd_kafka_destroy(pointer)
    }

    static let logAndErrorEvents = Int32(RD_KAFKA_EVENT_LOG | RD_KAFKA_EVENT_ERROR)

    /// Handles a log or error event; returns true when it was one.
    func handleLogOrError(_ event: OpaquePointer) -> Bool {
        switch Int32(rd_kafka_event_type(event)) {
        case Int32(RD_KAFKA_EVENT_LOG):
            var facility: UnsafePointer<CChar>?
            var text: UnsafePointer<CChar>?
            var level: Int32 = 0
            _ = rd_kafka_event_log(event, &facility, &text, &level)
            let message = text.map { String(cString: $0) } ?? ""
            let swiftLevel: Logger.Level =
                switch level {
                case ...3: .error
                case 4: .warning
                case 5, 6: .info
                default: .debug
                }
            logger.log(level: swiftLevel, "\(message)", metadata: ["kafka.facility": "\(facility.map { String(cString: $0) } ?? "")"])
            return true
        case Int32(RD_KAFKA_EVENT_ERROR):
            let error = KafkaError(
                rd_kafka_event_error(event), message: String(cString: rd_kafka_event_error_string(event)),
                isFatal: rd_kafka_event_error_is_fatal(event) != 0)
            logger.log(
                level: error.isFatal ? .error : .warning, "Kafka client error",
                metadata: [
                    "kafka.error": "\(error.name)", "kafka.reason": "\(error.message)",
                ])
            return true
        default:
            return false
        }
    }

    /// Topic names and partition counts known to the cluster.
    func listTopics(timeoutMilliseconds: Int32) throws(KafkaError) -> [KafkaTopicMetadata] {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let status = rd_kafka_metadata(pointer, 1, nil, &metadata, timeoutMilliseconds)
        guard status == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError(status) }
        defer { rd_kafka_metadata_destroy(metadata) }
        let topics = UnsafeBufferPointer(start: metadata.pointee.topics, count: Int(metadata.pointee.topic_cnt))
        return topics.map { KafkaTopicMetadata(name: String(cString: $0.topic), partitionCount: Int($0.partition_cnt)) }
            .sorted { $0.name < $1.name }
    }

    func watermarks(topic: String, partition: Int32, timeoutMilliseconds: Int32) throws(KafkaError) -> KafkaWatermarks {
        var low: Int64 = 0
        var high: Int64 = 0
        let status = rd_kafka_query_watermark_offsets(pointer, topic, partition, &low, &high, timeoutMilliseconds)
        guard status == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(status) }
        return KafkaWatermarks(low: low, high: high)
    }
}
