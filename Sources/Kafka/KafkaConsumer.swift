import BlockingWork
import CRdKafka
import Logging
import Synchronization

/// A Kafka consumer-group member with manual offset commits and a say in where each newly
/// assigned partition starts.
///
/// Every call that can block (poll, commit, metadata, close) is `async` and runs on this
/// consumer's own `BlockingExecutor`, never on Swift's cooperative pool.
public final class KafkaConsumer: Sendable {
    /// Called from the poll when partitions are assigned or revoked. For an assignment, the
    /// returned start offsets override the group's committed ones. It may await (a database
    /// read, say); the poll resumes on the consumer's thread afterwards.
    public typealias RebalanceHandler = @Sendable (KafkaRebalance) async -> [KafkaTopicPartition: KafkaStartOffset]

    private let client: KafkaClientHandle
    private let queue: KafkaQueue
    private let rebalanceHandler: RebalanceHandler?
    private let startAtBeginning: Mutex<Bool>
    /// Partitions already started at their beginning: each is rewound once, as the TOM's
    /// fake broker resets each topic once, not on every later rebalance.
    private let rewound = Mutex<Set<KafkaTopicPartition>>([])
    private let assigned = Mutex<Set<KafkaTopicPartition>>([])
    /// Whether the group gave this member its share yet (an empty one included) or it took its
    /// partitions directly.
    private let joined = Mutex(false)
    private let closed = Atomic<Bool>(false)
    private let recentError = Mutex<KafkaError?>(nil)
    private let executor = BlockingExecutor(label: "kafka consumer")

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
        // Leaving the group waits for the coordinator: on the consumer's thread, not the caller's.
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        executor.execute { [client, queue] in Self.closeBlocking(client: client, queue: queue) }
    }

    /// Subscribes to topic names; a name starting with `^` is a regular expression. Topics that
    /// do not exist yet are joined when they appear.
    public func subscribe(_ topics: [String]) throws(KafkaError) {
        let list = TopicPartitionList(topics.map { (KafkaTopicPartition(topic: $0, partition: Int32(RD_KAFKA_PARTITION_UA)), 0) })
        let status = rd_kafka_subscribe(client.pointer, list.pointer)
        guard status == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(status) }
    }

    /// Takes exactly these partitions, without joining the group (no rebalance, no join delay),
    /// each from its start offset (nil: the group's committed offset, else `auto.offset.reset`).
    /// Replaces any earlier assignment. For a consumer that is the only one of its group.
    public func assign(_ partitions: [KafkaTopicPartition: KafkaStartOffset?]) throws(KafkaError) {
        let list = TopicPartitionList(
            partitions.sorted { ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition) }.map { partition, start in
                (partition, start?.rawOffset ?? Int64(RD_KAFKA_OFFSET_INVALID))
            })
        let status = rd_kafka_assign(client.pointer, list.pointer)
        guard status == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(status) }
        assigned.withLock { $0 = Set(partitions.keys) }
        joined.withLock { $0 = true }
        client.logger.info("Partitions assigned directly", metadata: ["kafka.partitions": "\(partitions.count)"])
    }

    /// Waits up to `timeout` for the first message, then takes whatever else is ready, up to
    /// `maxMessages`. Rebalances are handled along the way.
    public func poll(maxMessages: Int, timeout: Duration) async throws(KafkaError) -> [KafkaMessage] {
        try await withTaskExecutorPreference(executor) { () async throws(KafkaError) -> [KafkaMessage] in
            try await self.pollOnExecutor(maxMessages: maxMessages, timeout: timeout)
        }
    }

    // `@concurrent`: runs on the task's preferred executor, this consumer's thread, and comes
    // back to it after awaiting a rebalance handler.
    @concurrent
    private func pollOnExecutor(maxMessages: Int, timeout: Duration) async throws(KafkaError) -> [KafkaMessage] {
        var messages: [KafkaMessage] = []
        var wait = timeout.milliseconds
        while messages.count < maxMessages, !closed.load(ordering: .acquiring) {
            guard let event = queue.poll(timeoutMilliseconds: wait) else { break }
            defer { rd_kafka_event_destroy(event) }
            if Int32(rd_kafka_event_type(event)) == Int32(RD_KAFKA_EVENT_REBALANCE) {
                try await rebalance(event)
            } else {
                try handle(event, into: &messages)
            }
            if !messages.isEmpty { wait = 0 }
        }
        return messages
    }

    private func handle(_ event: OpaquePointer, into messages: inout [KafkaMessage]) throws(KafkaError) {
        switch Int32(rd_kafka_event_type(event)) {
        case Int32(RD_KAFKA_EVENT_FETCH):
            // A fetch event's messages share a topic or a few: its name is made a String once.
            var topicName: (handle: OpaquePointer?, name: String) = (nil, "")
            var delivered = false
            defer { if delivered { recentError.withLock { $0 = nil } } }
            while let message = rd_kafka_event_message_next(event) {
                if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                    delivered = true
                    if topicName.handle != message.pointee.rkt {
                        topicName = (message.pointee.rkt, String(cString: rd_kafka_topic_name(message.pointee.rkt)))
                    }
                    messages.append(Self.copy(message, topic: topicName.name))
                } else {
                    let error = KafkaError(message.pointee.err)
                    let level: Logger.Level = message.pointee.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ? .debug : .warning
                    client.logger.log(
                        level: level, "Kafka consumer error", metadata: ["kafka.error": "\(error.name)", "kafka.reason": "\(error.message)"])
                }
            }
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

    private func rebalance(_ event: OpaquePointer) async throws(KafkaError) {
        let partitions = TopicPartitionList.entries(of: rd_kafka_event_topic_partition_list(event)).map(\.0)
        let cooperative = String(cString: rd_kafka_rebalance_protocol(client.pointer)) == "COOPERATIVE"
        if rd_kafka_event_error(event) == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
            let overrides = await rebalanceHandler?(.assigned(partitions)) ?? [:]
            let fromBeginning = startAtBeginning.withLock { $0 }
            let toRewind: Set<KafkaTopicPartition> =
                fromBeginning
                ? rewound.withLock { done in
                    let fresh = Set(partitions).subtracting(done)
                    done.formUnion(fresh)
                    return fresh
                }
                : []
            let list = TopicPartitionList(
                partitions.map { partition in
                    let start = overrides[partition] ?? (toRewind.contains(partition) ? .beginning : nil)
                    return (partition, start?.rawOffset ?? Int64(RD_KAFKA_OFFSET_INVALID))
                })
            if cooperative {
                if let error = rd_kafka_incremental_assign(client.pointer, list.pointer) { throw KafkaError(consuming: error) }
            } else {
                let status = rd_kafka_assign(client.pointer, list.pointer)
                guard status == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(status) }
            }
            assigned.withLock { $0.formUnion(partitions) }
            joined.withLock { $0 = true }
            client.logger.info("Partitions assigned", metadata: ["kafka.partitions": "\(partitions.map(\.description).joined(separator: ","))"])
        } else {
            _ = await rebalanceHandler?(.revoked(partitions))
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

    private static func copy(_ message: UnsafePointer<rd_kafka_message_t>, topic: String) -> KafkaMessage {
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
                headers.append(
                    KafkaHeader(
                        name: name.map { String(cString: $0) } ?? "",
                        value: value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }))
                index += 1
            }
        }
        let kind: KafkaTimestampType =
            switch timestampType {
            case RD_KAFKA_TIMESTAMP_CREATE_TIME: .createTime
            case RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME: .logAppendTime
            default: .notAvailable
            }
        return KafkaMessage(
            topic: topic,
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
    public func commit(_ offsets: [KafkaTopicPartitionOffset], waiting: Bool = true) async throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        try await executor.run { () throws(KafkaError) in
            let list = TopicPartitionList(offsets.map { ($0.topicPartition, $0.offset) })
            let status = rd_kafka_commit(self.client.pointer, list.pointer, waiting ? 0 : 1)
            guard status == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(status) }
        }
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
    public func committedOffsets(
        for partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64?] {
        try await executor.run { () throws(KafkaError) in try self.committedBlocking(for: partitions, timeout: timeout) }
    }

    private func committedBlocking(for partitions: [KafkaTopicPartition], timeout: Duration) throws(KafkaError) -> [KafkaTopicPartition: Int64?] {
        let list = TopicPartitionList(partitions.map { ($0, Int64(RD_KAFKA_OFFSET_INVALID)) })
        let status = rd_kafka_committed(client.pointer, list.pointer, timeout.milliseconds)
        guard status == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(status) }
        var result: [KafkaTopicPartition: Int64?] = [:]
        for (partition, offset, _) in TopicPartitionList.entries(of: list.pointer) {
            result[partition] = offset >= 0 ? offset : nil
        }
        return result
    }

    /// Moves assigned partitions to new positions, and returns once the fetcher has dropped what
    /// it had prefetched from the old ones. The wait is generous: on a loaded machine the fetcher
    /// thread can take many seconds to answer.
    public func seek(_ positions: [KafkaTopicPartition: KafkaStartOffset], timeout: Duration = .seconds(60)) async throws(KafkaError) {
        try await executor.run { () throws(KafkaError) in
            let list = TopicPartitionList(positions.map { ($0.key, $0.value.rawOffset) })
            if let error = rd_kafka_seek_partitions(self.client.pointer, list.pointer, timeout.milliseconds) {
                throw KafkaError(consuming: error)
            }
        }
    }

    /// Rewinds every assigned partition to its beginning, and makes later assignments start there.
    public func resetToBeginning() async throws(KafkaError) {
        startAtBeginning.withLock { $0 = true }
        let current = assignment
        rewound.withLock { $0.formUnion(current) }
        guard !current.isEmpty else { return }
        try await seek(Dictionary(uniqueKeysWithValues: current.map { ($0, KafkaStartOffset.beginning) }))
    }

    /// Partitions currently assigned to this member.
    public var assignment: Set<KafkaTopicPartition> { assigned.withLock { $0 } }

    /// Whether this member has been given its share of the group's partitions — possibly none,
    /// when the group has more members than partitions — or has taken partitions directly.
    public var hasJoinedGroup: Bool { joined.withLock { $0 } }

    public func topics(timeout: Duration = .seconds(10)) async throws(KafkaError) -> [KafkaTopicMetadata] {
        try await executor.run { () throws(KafkaError) in try self.client.listTopics(timeoutMilliseconds: timeout.milliseconds) }
    }

    /// Asks the partition's leader for its watermarks.
    public func watermarks(topic: String, partition: Int32, timeout: Duration = .seconds(10)) async throws(KafkaError) -> KafkaWatermarks {
        try await executor.run { () throws(KafkaError) in
            try self.client.watermarks(topic: topic, partition: partition, timeoutMilliseconds: timeout.milliseconds)
        }
    }

    /// The watermarks the last fetch responses reported, without asking anyone (nil if unknown).
    public func cachedWatermarks(topic: String, partition: Int32) -> KafkaWatermarks? {
        var low: Int64 = -1
        var high: Int64 = -1
        let status = rd_kafka_get_watermark_offsets(client.pointer, topic, partition, &low, &high)
        guard status == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
        return KafkaWatermarks(low: max(low, 0), high: high)
    }

    /// How long closing waits for the group to confirm (a cluster that is gone never does).
    static let closeTimeout: Duration = .seconds(10)

    /// Leaves the group, serving the final revocation, and stops consuming.
    public func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await withTaskExecutorPreference(executor) { await self.closeOnExecutor() }
    }

    // On this consumer's thread; the final revocation goes through the rebalance handler.
    @concurrent
    private func closeOnExecutor() async {
        if let error = rd_kafka_consumer_close_queue(client.pointer, queue.pointer) {
            client.logger.warning("Kafka consumer close failed", metadata: ["kafka.error": "\(KafkaError(consuming: error))"])
            return
        }
        // A cluster that went away never confirms: give up after a while rather than poll forever.
        let deadline = ContinuousClock.now + Self.closeTimeout
        while rd_kafka_consumer_closed(client.pointer) == 0, ContinuousClock.now < deadline {
            guard let event = queue.poll(timeoutMilliseconds: 100) else { continue }
            defer { rd_kafka_event_destroy(event) }
            if Int32(rd_kafka_event_type(event)) == Int32(RD_KAFKA_EVENT_REBALANCE) {
                do { try await rebalance(event) } catch {
                    client.logger.warning("Kafka consumer close: revocation failed", metadata: ["kafka.error": "\(error)"])
                }
            } else {
                _ = client.handleLogOrError(event)
            }
        }
    }

    /// The close of a consumer nobody closed, from `deinit`: no handler is called any more.
    private static func closeBlocking(client: KafkaClientHandle, queue: KafkaQueue) {
        if let error = rd_kafka_consumer_close_queue(client.pointer, queue.pointer) {
            client.logger.warning("Kafka consumer close failed", metadata: ["kafka.error": "\(KafkaError(consuming: error))"])
            return
        }
        // The final revocation is answered without a handler: nothing more is consumed.
        let deadline = ContinuousClock.now + closeTimeout
        while rd_kafka_consumer_closed(client.pointer) == 0, ContinuousClock.now < deadline {
            guard let event = queue.poll(timeoutMilliseconds: 100) else { continue }
            if Int32(rd_kafka_event_type(event)) == Int32(RD_KAFKA_EVENT_REBALANCE) {
                if String(cString: rd_kafka_rebalance_protocol(client.pointer)) == "COOPERATIVE" {
                    if let error = rd_kafka_incremental_unassign(client.pointer, rd_kafka_event_topic_partition_list(event)) {
                        rd_kafka_error_destroy(error)
                    }
                } else {
                    _ = rd_kafka_assign(client.pointer, nil)
                }
            } else {
                _ = client.handleLogOrError(event)
            }
            rd_kafka_event_destroy(event)
        }
    }
}
