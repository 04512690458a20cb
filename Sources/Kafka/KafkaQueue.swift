import CRdKafka

/// Owns an `rd_kafka_queue_t` reference.
///
/// `@unchecked Sendable`: librdkafka queues are thread-safe; the box only carries the pointer.
final class KafkaQueue: @unchecked Sendable {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        rd_kafka_queue_destroy(pointer)
    }

    /// Waits up to `timeoutMilliseconds` for one event; the caller must destroy it.
    func poll(timeoutMilliseconds: Int32) -> OpaquePointer? {
        rd_kafka_queue_poll(pointer, timeoutMilliseconds)
    }
}
