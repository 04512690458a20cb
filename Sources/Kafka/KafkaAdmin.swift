import BlockingWork
import CRdKafka
import Logging

/// Cluster administration: topic creation.
public final class KafkaAdmin: Sendable {
    private let client: KafkaClientHandle
    private let pump: EventPump
    private let executor = BlockingExecutor(label: "kafka admin")

    public init(configuration: KafkaConfiguration, logger: Logger) throws(KafkaError) {
        let native = try NativeConfiguration(configuration, defaults: [("log.queue", "true")])
        native.enableEvents(KafkaClientHandle.logAndErrorEvents)
        client = try KafkaClientHandle(type: RD_KAFKA_PRODUCER, configuration: native, logger: logger)
        pump = EventPump(client: client, queue: KafkaQueue(rd_kafka_queue_get_main(client.pointer)!), name: "elasticc.kafka.admin-events") { _ in }
    }

    deinit {
        pump.stop()
    }

    /// Creates a topic. With `ifNotExists`, a topic that already exists is not an error.
    public func createTopic(
        _ name: String, partitions: Int, replicationFactor: Int = 1, ifNotExists: Bool = true, timeout: Duration = .seconds(30)
    ) async throws(KafkaError) {
        try await executor.run { () throws(KafkaError) in
            try self.createTopicBlocking(
                name, partitions: partitions, replicationFactor: replicationFactor, ifNotExists: ifNotExists, timeout: timeout)
        }
    }

    private func createTopicBlocking(_ name: String, partitions: Int, replicationFactor: Int, ifNotExists: Bool, timeout: Duration) throws(KafkaError)
    {
        var errorText = [CChar](repeating: 0, count: 512)
        guard let newTopic = rd_kafka_NewTopic_new(name, Int32(partitions), Int32(replicationFactor), &errorText, errorText.count) else {
            throw KafkaError.configuration(
                "topic \(name): " + String(decoding: errorText.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        defer { rd_kafka_NewTopic_destroy(newTopic) }
        let resultQueue = KafkaQueue(rd_kafka_queue_new(client.pointer)!)
        var topics: [OpaquePointer?] = [newTopic]
        let options = rd_kafka_AdminOptions_new(client.pointer, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeout.milliseconds, &errorText, errorText.count)
        rd_kafka_CreateTopics(client.pointer, &topics, 1, options, resultQueue.pointer)

        // librdkafka answers by the request timeout; the margin only guards against a lost answer.
        guard let event = resultQueue.poll(timeoutMilliseconds: (timeout + .seconds(5)).milliseconds) else {
            throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, message: "no answer to CreateTopics for \(name) within \(timeout)")
        }
        defer { rd_kafka_event_destroy(event) }
        let status = rd_kafka_event_error(event)
        guard status == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(status, message: String(cString: rd_kafka_event_error_string(event)))
        }
        var count = 0
        guard let result = rd_kafka_event_CreateTopics_result(event),
            let results = rd_kafka_CreateTopics_result_topics(result, &count)
        else { return }
        for index in 0..<count {
            let topicStatus = rd_kafka_topic_result_error(results[index])
            if topicStatus == RD_KAFKA_RESP_ERR_NO_ERROR || (ifNotExists && topicStatus == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) { continue }
            throw KafkaError(topicStatus, message: rd_kafka_topic_result_error_string(results[index]).map { String(cString: $0) } ?? "")
        }
    }

    public func listTopics(timeout: Duration = .seconds(10)) throws(KafkaError) -> [KafkaTopicMetadata] {
        try client.listTopics(timeoutMilliseconds: timeout.milliseconds)
    }
}
