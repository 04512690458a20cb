import CRdKafka
import Dispatch
import Logging
import Synchronization

/// A Kafka consumer-group member with manual offset commits and a say in where each newly
/// assigned partition starts.
///
/// `poll`, `commit` and the other calls without `async` block; run them off Swift's cooperative
/// pool (the async variants do so on this consumer's own serial queue).
public final class KafkaConsumer: Sendable {
    /// Called on the polling thread when partitions are assigned or revoked. For an assignment,
    /// the returned start offsets override the group's committed ones.
    public typealias RebalanceHandler = @Sendable (KafkaRebalance) -> [KafkaTopicPartition: KafkaStartOffset]

    private let client: KafkaClientHandle
    private let queue: KafkaQueue
    private let rebalanceHandler: RebalanceHandler?
    private let startAtBeginning: Mutex<Bool>
    private let assigned = Mutex<Set<KafkaTopicPartition>>([])
    private let closed = Atomic<Bool>(false)
    private let recentError = Mutex<KafkaError?>(nil)
    private let blockingQueue = DispatchQueue(label: "elasticc.kafka.consumer")

    public static let defaultProperties: [(String, String)] = [
        ("enable.auto.commit", "false"),
        ("enable.auto.offset.store", "false"),
        ("auto.offset.reset", "earliest"),
        ("enable.partition.eof", "false"),
        ("topic.metadata.refresh.interval.ms", "2000"),
        // Alerts are small and latency matters more than fetch count.
        ("fetch.wait.max.ms", "100"),
        ("log.queue", "true"),
    ]

    public init(
        configuration: KafkaConfiguration, groupId: String, startAtBeginning: Bool = false,
        logger: Logger, rebalanceHandler: RebalanceHandler? = nil
    ) throws(KafkaError) {
        let native = try NativeConfiguration(configuration, defaults: Self.defaultProperties + [("group.id", groupId)])
        native.enableEvents(Int32(RD_KAFKA_EVENT_FETCH | RD_KAFKA_EVENT_REBALANCE) | KafkaClientHandle.logAndErrorEvents)
        client = try KafkaClientHandle(type: RD_KAFKA_CONSUMER, configuration: native, logger: logger)
        rd_kafka_poll_set_consumer(client.pointer)
        queue = KafkaQueue(rd_kafka_queue_get_consumer(client.pointer)!)
        self.rebalanceHandler = rebalanceHandler
        self.startAtBeginning = Mutex(startAtBeginning)
    }

    deinit {
        close()
    }

    /// Subscribes to topic names; a name starting with `^` is a regular expression. Topics that
    /// do not exist yet are joined when they appear.
    public func subscribe(_ topics: [String]) throws(KafkaError) {
        let list = TopicPartitionList(topics.map { (KafkaTopicPartition(topic: $0, partition: Int32(RD_KAFKA_PARTITION_UA)), 0) })
        let status = rd_kafka_subscribe(client.pointer, list.pointer)
        guard status == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(status) }
    }

    /// Waits up to `timeout` for the first message, then takes whatever else is ready, up to
    /// `maxMessages`. Rebalances are handled along the way.
    public func poll(maxMessages: Int, timeout: Duration) throws(KafkaError) -> [KafkaMessage] {
        var messages: [KafkaMessage] = []
        var wait = timeout.milliseconds
        while messages.count < maxMessages, !closed.load(ordering: .acquiring) {
            guard let event = queue.poll(timeoutMilliseconds: wait) else { break }
            defer { rd_kafka_event_destroy(event) }
            try handle(event, into: &messages)
            if !messages.isEmpty { wait = 0 }
        }
        return messages
    }

    /// `poll` on this consumer's own serial queue, for callers on Swift's cooperative pool.
    public func nextBatch(maxMessages: Int, timeout: Duration) async throws(KafkaError) -> [KafkaMessage] {
        try await onBlockingQueue { () throws(KafkaError) in try self.poll(maxMessages: maxMessages, timeout: timeout) }
    }

    private func handle(_ event: OpaquePointer, into messages: inout [KafkaMessage]) throws(KafkaError) {
        switch Int32(rd_kafka_event_type(event)) {
        case Int32(RD_KAFKA_EVENT_FETCH):
            while let message = rd_kafka_event_message_next(event) {
                if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                    recentError.withLock { $0 = nil }
                    messages.append(Self.copy(message))
                } else {
                    let error = KafkaError(message.pointee.err)
                    let level: Logger.Level = message.pointee.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ? .debug : .warning
                    client.logger.log(level: level, "Kafka consumer error", metadata: ["kafka.error": "\(error.name)", "kafka.reason": "\(error.message)"])
                }
            }
        case Int32(RD_KAFKA_EVENT_REBALANCE):
            try rebalance(event)
        case Int32(RD_KAFKA_EVENT_ERROR) where rd_kafka_event_error_is_fatal(event) != 0:
            _ = client.handleLogOrError(event)
            throw KafkaError(rd_kafka_event_error(event), message: String(cString: rd_kafka_event_error_string(event)), isFatal: true)
        case Int32(RD_KAFKA_EVENT_ERROR):
            let error = KafkaError(rd_kafka_event_error(event), message: String(cString: rd_kafka_event_error_string(event)))
            recentError.withLock { $0 = error }
            _ = client.handleLogOrError(event)
        default:
            _ = client.handleLogOrError(event)
        }
    }

    /// The last client error (unreachable cluster, refused credentials…) since a message last
    /// arrived; librdkafka keeps reconnecting with backoff meanwhile.
    public var lastError: KafkaError? { recentError.withLock { $0 } }

    private func rebalance(_ event: OpaquePointer) throws(KafkaError) {
        let partitions = TopicPartitionList.entries(of: rd_kafka_event_topic_partition_list(event)).map(\.0)
        let cooperative = String(cString: rd_kafka_rebalance_protocol(client.pointer)) == "COOPERATIVE"
        if rd_kafka_event_error(event) == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
            let overrides = rebalanceHandler?(.assigned(partitions)) ?? [:]
            let fromBeginning = startAtBeginning.withLock { $0 }
            let list = TopicPartitionList(partitions.map { partition in
                let start = overrides[partition] ?? (fromBeginning ? .beginning : nil)
                return (partition, start?.rawOffset ?? Int64(RD_KAFKA_OFFSET_INVALID))
            })
            if cooperative {
                if let error = rd_kafka_incremental_assign(client.pointer, list.pointer) { throw KafkaError(consuming: error) }
            } else {
                let status = rd_kafka_assign(client.pointer, list.pointer)
                guard status == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(status) }
            }
            assigned.withLock { $0.formUnion(partitions) }
            client.logger.info("Partitions assigned", metadata: ["kafka.partitions": "\(partitions.map(\.description).joined(separator: ","))"])
        } else {
            _ = rebalanceHandler?(.revoked(partitions))
            if cooperative {
                let list = TopicPartitionList(partitions.map { ($0, 0) })
                if let error = rd_kafka_incremental_unassign(client.pointer, list.pointer) { throw KafkaError(consuming: error) }
            } else {
                _ = rd_kafka_assign(client.pointer, nil)
            }
            assigned.withLock { $0.subtract(partitions) }
            client.logger.info("Partitions revoked", metadata: ["kafka.partitions": "\(partitions.map(\.description).joined(separator: ","))"])
        }
    }

    private static func copy(_ message: UnsafePointer<rd_kafka_message_t>) -> KafkaMessage {
        let raw = message.pointee
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        var headers: [KafkaHeader] = []
        var headerList: OpaquePointer?
        if rd_kafka_message_headers(message, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList {
            var index = 0
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(headerList, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                headers.append(KafkaHeader(
                    name: name.map { String(cString: $0) } ?? "",
                    value: value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }))
                index += 1
            }
        }
        let kind: KafkaTimestampType = switch timestampType {
        case RD_KAFKA_TIMESTAMP_CREATE_TIME: .createTime
        case RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME: .logAppendTime
        default: .notAvailable
        }
        return KafkaMessage(
            topic: String(cString: rd_kafka_topic_name(raw.rkt)),
            partition: raw.partition,
            offset: raw.offset,
            key: raw.key.map { Array(UnsafeRawBufferPointer(start: $0, count: raw.key_len)) },
            value: raw.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: raw.len)) },
            headers: headers,
            timestamp: timestamp >= 0 ? timestamp : nil,
            timestampType: kind)
    }

    /// Commits the given next-to-read offsets; with `waiting` false it returns at once and the
    /// outcome is only logged.
    public func commit(_ offsets: [KafkaTopicPartitionOffset], waiting: Bool = true) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let list = TopicPartitionList(offsets.map { ($0.topicPartition, $0.offset) })
        let status = rd_kafka_commit(client.pointer, list.pointer, waiting ? 0 : 1)
        guard status == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(status) }
    }

    /// `commit` on this consumer's own serial queue, for callers on Swift's cooperative pool.
    public func commitOffsets(_ offsets: [KafkaTopicPartitionOffset]) async throws(KafkaError) {
        try await onBlockingQueue { () throws(KafkaError) in try self.commit(offsets) }
    }

    /// The next-to-read offsets that commit the given messages: one past the highest per partition.
    public static func offsetsToCommit(after messages: [KafkaMessage]) -> [KafkaTopicPartitionOffset] {
        var highest: [KafkaTopicPartition: Int64] = [:]
        for message in messages {
            let key = KafkaTopicPartition(topic: message.topic, partition: message.partition)
            highest[key] = max(highest[key] ?? -1, message.offset)
        }
        return highest.map { KafkaTopicPartitionOffset(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value + 1) }
            .sorted { ($0.topicPartition.topic, $0.topicPartition.partition) < ($1.topicPartition.topic, $1.topicPartition.partition) }
    }

    /// The group's committed next-to-read offsets (nil where nothing was committed).
    public func committedOffsets(for partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) throws(KafkaError) -> [KafkaTopicPartition: Int64?] {
        let list = TopicPartitionList(partitions.map { ($0, Int64(RD_KAFKA_OFFSET_INVALID)) })
        let status = rd_kafka_committed(client.pointer, list.pointer, timeout.milliseconds)
        guard status == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(status) }
        var result: [KafkaTopicPartition: Int64?] = [:]
        for (partition, offset, _) in TopicPartitionList.entries(of: list.pointer) {
            result[partition] = offset >= 0 ? offset : nil
        }
        return result
    }

    /// Moves assigned partitions to new positions.
    public func seek(_ positions: [KafkaTopicPartition: KafkaStartOffset], timeout: Duration = .seconds(10)) throws(KafkaError) {
        let list = TopicPartitionList(positions.map { ($0.key, $0.value.rawOffset) })
        if let error = rd_kafka_seek_partitions(client.pointer, list.pointer, timeout.milliseconds) {
            throw KafkaError(consuming: error)
        }
    }

    /// Rewinds every assigned partition to its beginning, and makes later assignments start there.
    public func resetToBeginning() throws(KafkaError) {
        startAtBeginning.withLock { $0 = true }
        let current = assignment
        guard !current.isEmpty else { return }
        try seek(Dictionary(uniqueKeysWithValues: current.map { ($0, KafkaStartOffset.beginning) }))
    }

    /// Partitions currently assigned to this member.
    public var assignment: Set<KafkaTopicPartition> { assigned.withLock { $0 } }

    public func listTopics(timeout: Duration = .seconds(10)) throws(KafkaError) -> [KafkaTopicMetadata] {
        try client.listTopics(timeoutMilliseconds: timeout.milliseconds)
    }

    public func watermarks(topic: String, partition: Int32, timeout: Duration = .seconds(10)) throws(KafkaError) -> KafkaWatermarks {
        try client.watermarks(topic: topic, partition: partition, timeoutMilliseconds: timeout.milliseconds)
    }

    /// Leaves the group, serving the final revocation, and stops consuming.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if let error = rd_kafka_consumer_close_queue(client.pointer, queue.pointer) {
            client.logger.warning("Kafka consumer close failed", metadata: ["kafka.error": "\(KafkaError(consuming: error))"])
            return
        }
        var ignored: [KafkaMessage] = []
        while rd_kafka_consumer_closed(client.pointer) == 0 {
            guard let event = queue.poll(timeoutMilliseconds: 100) else { continue }
            try? handle(event, into: &ignored)
            rd_kafka_event_destroy(event)
        }
    }

    private func onBlockingQueue<T: Sendable>(_ body: @escaping @Sendable () throws(KafkaError) -> T) async throws(KafkaError) -> T {
        let result: Result<T, KafkaError> = await withCheckedContinuation { continuation in
            blockingQueue.async {
                continuation.resume(returning: Result { () throws(KafkaError) -> T in try body() })
            }
        }
        return try result.get()
    }
}
