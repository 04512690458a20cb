import CRdKafka
import Foundation
import Synchronization

/// A dedicated thread that serves a client's event queue: delivery reports, logs and errors.
/// librdkafka's poll blocks, so it must not run on Swift's cooperative pool.
final class EventPump: Sendable {
    private let running = Atomic<Bool>(true)
    private let finished = DispatchSemaphore(value: 0)

    init(client: KafkaClientHandle, queue: KafkaQueue, name: String, handler: @escaping @Sendable (OpaquePointer) -> Void) {
        let thread = Thread { [self] in
            while running.load(ordering: .acquiring) {
                guard let event = queue.poll(timeoutMilliseconds: 100) else { continue }
                if !client.handleLogOrError(event) { handler(event) }
                rd_kafka_event_destroy(event)
            }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Stops the thread and waits for it to leave the poll loop.
    func stop() {
        if running.exchange(false, ordering: .acquiringAndReleasing) {
            finished.wait()
        }
    }
}
