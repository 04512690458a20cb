import BlockingWork
import CRdKafka
import Foundation
import Logging
import Synchronization

/// A Kafka producer with a delivery result for every message. Idempotent by default, so
/// retries inside librdkafka never duplicate or reorder a partition's messages.
///
/// Producing (which waits while librdkafka's queue is full), flushing and metadata requests run
/// on the producer's own `BlockingExecutor`; delivery reports arrive on its event thread.
public final class KafkaProducer: Sendable {
    private let client: KafkaClientHandle
    private let mainQueue: KafkaQueue
    private let pump: EventPump
    private let executor = BlockingExecutor(label: "kafka producer")

    public static let defaultProperties: [(String, String)] = [
        ("enable.idempotence", "true"),
        ("linger.ms", "5"),
        ("batch.num.messages", "10000"),
        ("queue.buffering.max.messages", "1000000"),
        ("queue.buffering.max.kbytes", "2097151"),
        ("log.queue", "true"),
    ]

    public init(configuration: KafkaConfiguration, logger: Logger) throws(KafkaError) {
        let native = try NativeConfiguration(configuration, defaults: Self.defaultProperties)
        native.enableEvents(Int32(RD_KAFKA_EVENT_DR) | KafkaClientHandle.logAndErrorEvents)
        client = try KafkaClientHandle(type: RD_KAFKA_PRODUCER, configuration: native, logger: logger)
        mainQueue = KafkaQueue(rd_kafka_queue_get_main(client.pointer)!)
        pump = EventPump(client: client, queue: mainQueue, name: "elasticc.kafka.producer-events", handler: Self.handleDeliveryReports)
    }

    deinit {
        pump.stop()
    }

    /// Produces the messages in order and returns when the cluster has acknowledged, or
    /// definitively refused, every one of them.
    public func send(_ messages: [KafkaOutgoingMessage]) async -> [Result<KafkaDeliveryReport, KafkaError>] {
        guard !messages.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let batch = DeliveryBatch(count: messages.count, continuation: continuation)
            executor.execute { [self] in
                for (index, message) in messages.enumerated() {
                    produce(message) { batch.complete(index, with: $0) }
                }
            }
        }
    }

    /// `send`, then the messages that failed once more; failures left are logged.
    public func sendRetryingFailuresOnce(_ messages: [KafkaOutgoingMessage], logger: Logger) async -> [Result<KafkaDeliveryReport, KafkaError>] {
        var results = await send(messages)
        let failed = results.indices.filter { if case .failure = results[$0] { true } else { false } }
        guard !failed.isEmpty else { return results }
        logger.warning("Retrying failed deliveries", metadata: ["messages": "\(failed.count)", "kafka.error": "\(Self.firstError(results))"])
        let retried = await send(failed.map { messages[$0] })
        for (index, result) in zip(failed, retried) { results[index] = result }
        let stillFailed = retried.filter { if case .failure = $0 { true } else { false } }.count
        if stillFailed > 0 {
            logger.error("Deliveries failed after a retry", metadata: ["messages": "\(stillFailed)", "kafka.error": "\(Self.firstError(retried))"])
        }
        return results
    }

    /// The first failure among `results`, if any.
    public static func firstFailure(_ results: [Result<KafkaDeliveryReport, KafkaError>]) -> KafkaError? {
        for result in results { if case .failure(let error) = result { return error } }
        return nil
    }

    private static func firstError(_ results: [Result<KafkaDeliveryReport, KafkaError>]) -> String {
        firstFailure(results)?.description ?? ""
    }

    /// Enqueues one message; `onDelivery` runs on the event thread once its fate is known. Waits
    /// while librdkafka's local queue is full: runs on the producer's executor.
    private func produce(_ message: KafkaOutgoingMessage, onDelivery: @escaping @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void) {
        let ticket = Unmanaged.passRetained(DeliveryTicket(onDelivery))
        while true {
            let error = enqueue(message, opaque: ticket.toOpaque())
            guard let error else { return }
            let failure = KafkaError(consuming: error)
            if failure.code == RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue {
                // Backpressure: the event thread drains delivery reports while we wait for room.
                _ = rd_kafka_flush(client.pointer, 10)
                continue
            }
            ticket.release()
            onDelivery(.failure(failure))
            return
        }
    }

    private func enqueue(_ message: KafkaOutgoingMessage, opaque: UnsafeMutableRawPointer) -> OpaquePointer? {
        var values: [rd_kafka_vu_t] = []
        values.reserveCapacity(8 + message.headers.count)
        var owned: [UnsafeMutablePointer<CChar>] = []
        defer { for pointer in owned { free(pointer) } }
        func cString(_ text: String) -> UnsafeMutablePointer<CChar> {
            let copy = strdup(text)!
            owned.append(copy)
            return copy
        }

        var topic = rd_kafka_vu_t()
        topic.vtype = RD_KAFKA_VTYPE_TOPIC
        topic.u.cstr = UnsafePointer(cString(message.topic))
        values.append(topic)
        var flags = rd_kafka_vu_t()
        flags.vtype = RD_KAFKA_VTYPE_MSGFLAGS
        flags.u.i = RD_KAFKA_MSG_F_COPY
        values.append(flags)
        var opaqueValue = rd_kafka_vu_t()
        opaqueValue.vtype = RD_KAFKA_VTYPE_OPAQUE
        opaqueValue.u.ptr = opaque
        values.append(opaqueValue)
        if let partition = message.partition {
            var value = rd_kafka_vu_t()
            value.vtype = RD_KAFKA_VTYPE_PARTITION
            value.u.i32 = partition
            values.append(value)
        }
        if let timestamp = message.timestamp {
            var value = rd_kafka_vu_t()
            value.vtype = RD_KAFKA_VTYPE_TIMESTAMP
            value.u.i64 = timestamp
            values.append(value)
        }
        for header in message.headers {
            var value = rd_kafka_vu_t()
            value.vtype = RD_KAFKA_VTYPE_HEADER
            value.u.header.name = UnsafePointer(cString(header.name))
            if let bytes = header.value {
                let copy = malloc(max(bytes.count, 1))!.assumingMemoryBound(to: CChar.self)
                bytes.withUnsafeBytes { copy.update(from: $0.bindMemory(to: CChar.self).baseAddress!, count: bytes.count) }
                owned.append(copy)
                value.u.header.val = UnsafeRawPointer(copy)
                value.u.header.size = bytes.count
            } else {
                value.u.header.val = nil
                value.u.header.size = -1
            }
            values.append(value)
        }

        return withOptionalBytes(message.key) { keyPointer, keyCount in
            withOptionalBytes(message.value) { valuePointer, valueCount in
                var all = values
                if let keyPointer {
                    var key = rd_kafka_vu_t()
                    key.vtype = RD_KAFKA_VTYPE_KEY
                    key.u.mem.ptr = UnsafeMutableRawPointer(mutating: keyPointer)
                    key.u.mem.size = keyCount
                    all.append(key)
                }
                if let valuePointer {
                    var value = rd_kafka_vu_t()
                    value.vtype = RD_KAFKA_VTYPE_VALUE
                    value.u.mem.ptr = UnsafeMutableRawPointer(mutating: valuePointer)
                    value.u.mem.size = valueCount
                    all.append(value)
                }
                return rd_kafka_produceva(client.pointer, &all, all.count)
            }
        }
    }

    /// Waits until every enqueued message has a delivery result.
    public func flush(timeout: Duration) async throws(KafkaError) {
        try await executor.run { () throws(KafkaError) in
            let status = rd_kafka_flush(self.client.pointer, timeout.milliseconds)
            guard status == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(status, message: "\(rd_kafka_outq_len(self.client.pointer)) messages still undelivered after \(timeout)")
            }
        }
    }

    /// Messages enqueued and not yet reported.
    public var pendingCount: Int { Int(rd_kafka_outq_len(client.pointer)) }

    public func topics(timeout: Duration = .seconds(10)) async throws(KafkaError) -> [KafkaTopicMetadata] {
        try await executor.run { () throws(KafkaError) in try self.client.listTopics(timeoutMilliseconds: timeout.milliseconds) }
    }

    private static func handleDeliveryReports(_ event: OpaquePointer) {
        guard Int32(rd_kafka_event_type(event)) == Int32(RD_KAFKA_EVENT_DR) else { return }
        while let message = rd_kafka_event_message_next(event) {
            guard let opaque = message.pointee._private else { continue }
            let ticket = Unmanaged<DeliveryTicket>.fromOpaque(opaque).takeRetainedValue()
            let status = message.pointee.err
            if status == RD_KAFKA_RESP_ERR_NO_ERROR {
                ticket.completion(
                    .success(
                        KafkaDeliveryReport(
                            topic: String(cString: rd_kafka_topic_name(message.pointee.rkt)),
                            partition: message.pointee.partition, offset: message.pointee.offset)))
            } else {
                ticket.completion(.failure(KafkaError(status)))
            }
        }
    }
}

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawPointer?, Int) -> R) -> R {
    guard let bytes else { return body(nil, 0) }
    return bytes.withUnsafeBytes { buffer in
        // An empty buffer may have no address; librdkafka wants a non-null pointer for a
        // present, empty key or value.
        var one: UInt8 = 0
        return buffer.baseAddress.map { body($0, buffer.count) } ?? withUnsafePointer(to: &one) { body(UnsafeRawPointer($0), 0) }
    }
}

extension Duration {
    var milliseconds: Int32 {
        let (seconds, attoseconds) = components
        let total = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return Int32(clamping: total)
    }
}
