import Kafka
import Metrics

/// broker-poll's Prometheus metrics, through swift-metrics (the executable chooses the
/// backend): messages by broker and topic, batch store time, classifiers created, errors, and
/// the consumer lag of each assigned partition.
struct BrokerPollMetrics: Sendable {
    let broker: String

    /// Error counters exist from the start at 0, so dashboards and alerts see them before any error.
    init(broker: String) {
        self.broker = broker
        for kind in ["kafka", "database"] { Counter(label: Self.errors, dimensions: [("broker", broker), ("kind", kind)]).increment(by: 0) }
        Gauge(label: Self.refusedPartitions, dimensions: [("broker", broker)]).record(0)
    }

    static let consumed = "elasticc_brokerpoll_messages_consumed_total"
    static let stored = "elasticc_brokerpoll_messages_stored_total"
    static let alreadyStored = "elasticc_brokerpoll_messages_already_stored_total"
    static let deadLettered = "elasticc_brokerpoll_messages_dead_lettered_total"
    static let classifiersCreated = "elasticc_brokerpoll_classifiers_created_total"
    static let storeDuration = "elasticc_brokerpoll_store_batch_duration_seconds"
    static let lag = "elasticc_brokerpoll_consumer_lag_messages"
    static let errors = "elasticc_brokerpoll_errors_total"
    static let refusedPartitions = "elasticc_brokerpoll_refused_partitions"

    /// Partitions whose stored offsets do not fit Kafka's (see `BrokerPoller.refuse`).
    func recordRefused(_ count: Int) {
        Gauge(label: Self.refusedPartitions, dimensions: [("broker", broker)]).record(count)
    }

    /// A batch read from Kafka (`consumed`: its items by topic, every one counted new) and stored.
    func recordBatch(consumed: [String: TopicCounts], outcome: ClassificationStore.Outcome, storeDuration: Duration) {
        for (topic, counts) in consumed {
            Counter(label: Self.consumed, dimensions: dimensions(topic)).increment(by: counts.stored + counts.deadLetters)
        }
        for (topic, counts) in outcome.byTopic {
            Counter(label: Self.stored, dimensions: dimensions(topic)).increment(by: counts.stored)
            Counter(label: Self.alreadyStored, dimensions: dimensions(topic)).increment(by: counts.alreadyStored)
            Counter(label: Self.deadLettered, dimensions: dimensions(topic)).increment(by: counts.deadLetters)
        }
        if outcome.classifiersAdded > 0 {
            Counter(label: Self.classifiersCreated, dimensions: [("broker", broker)]).increment(by: outcome.classifiersAdded)
        }
        Metrics.Timer(label: Self.storeDuration, dimensions: [("broker", broker)]).record(duration: storeDuration)
    }

    /// A failure of `kind` `kafka` or `database`.
    func recordError(kind: String) {
        Counter(label: Self.errors, dimensions: [("broker", broker), ("kind", kind)]).increment()
    }

    func recordLag(_ lag: [KafkaTopicPartition: Int64]) {
        for (partition, messages) in lag {
            Gauge(label: Self.lag, dimensions: [("broker", broker), ("topic", partition.topic), ("partition", String(partition.partition))])
                .record(messages)
        }
    }

    private func dimensions(_ topic: String) -> [(String, String)] { [("broker", broker), ("topic", topic)] }
}
