/// Travels through librdkafka as a message's opaque pointer and comes back in its delivery report.
final class DeliveryTicket {
    let completion: @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void

    init(_ completion: @escaping @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void) {
        self.completion = completion
    }
}
