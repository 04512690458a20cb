import AvroSchemas
import Foundation
import Kafka
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Plays an alert broker: consumes alerts, answers each with one brokerClassification per
/// classifier, and commits the alerts' offsets only after the cluster acknowledged the answers,
/// so a restart never skips an alert.
public final class FakeBroker: Sendable {
    public struct Settings: Sendable {
        public var sourceTopics: [String]
        public var destinationTopic: String
        public var classifiers: [any Classifier]
        /// The broker every answer names; nil: each classifier's own. Several instances with
        /// names of their own play several brokers, as ELAsTiCC2 had seven.
        public var brokerName: String?
        public var seed: UInt64?
        public var batchSize: Int
        public var logInterval: Duration
        /// The only instance: take every partition of the source topics directly (no group
        /// join, seconds sooner to start); the group's committed offsets still say where to resume.
        public var alone: Bool
        /// Start from the beginning of the source topics (with `alone`; the consumer's own
        /// setting does it for the group).
        public var fromBeginning: Bool

        public init(
            sourceTopics: [String], destinationTopic: String, classifiers: [any Classifier] = Classifiers.all,
            brokerName: String? = nil, seed: UInt64? = nil, batchSize: Int = 5000, logInterval: Duration = .seconds(10), alone: Bool = false,
            fromBeginning: Bool = false
        ) {
            self.alone = alone
            self.fromBeginning = fromBeginning
            self.sourceTopics = sourceTopics
            self.destinationTopic = destinationTopic
            self.classifiers = classifiers
            self.brokerName = brokerName
            self.seed = seed
            self.batchSize = batchSize
            self.logInterval = logInterval
        }
    }

    public struct Counters: Sendable, Equatable {
        public var alertsIn = 0
        public var messagesOut = 0
        public var badAlerts = 0

        public init(alertsIn: Int = 0, messagesOut: Int = 0, badAlerts: Int = 0) {
            self.alertsIn = alertsIn
            self.messagesOut = messagesOut
            self.badAlerts = badAlerts
        }
    }

    private let settings: Settings
    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let logger: Logger
    private let counters = Mutex(Counters())
    /// When the answering loop last went round: `/health` judges a wedged loop by it.
    private let progress = Mutex(ContinuousClock.now)

    public var lastProgress: ContinuousClock.Instant { progress.withLock { $0 } }

    public init(settings: Settings, consumer: KafkaConsumer, producer: KafkaProducer, logger: Logger) {
        self.settings = settings
        self.consumer = consumer
        self.producer = producer
        self.logger = logger
    }

    public var counts: Counters { counters.withLock { $0 } }

    /// `/ready`: the consumer has partitions of the alert topics (so Kafka answered).
    public var readiness: (name: String, ok: Bool, detail: String) {
        let assigned = consumer.assignment.count
        return ("kafka", assigned > 0, assigned > 0 ? "\(assigned) partitions assigned" : "no partitions assigned yet")
    }

    static let alertsConsumed = "elasticc_fakebroker_alerts_consumed_total"
    static let alertsUndecodable = "elasticc_fakebroker_alerts_undecodable_total"
    static let classificationsProduced = "elasticc_fakebroker_classifications_produced_total"
    static let batchDuration = "elasticc_fakebroker_batch_duration_seconds"
    static let errors = "elasticc_fakebroker_errors_total"

    /// Runs until graceful shutdown (or cancellation), seen between batches; then flushes and
    /// commits what is in hand. `onReady` runs once the consumer first has partitions assigned.
    public func run(onReady: @Sendable () -> Void = {}) async throws {
        var taken: Set<KafkaTopicPartition> = []
        if settings.alone {
            taken = try await takeSourcePartitions(previous: nil)
        } else {
            try consumer.subscribe(settings.sourceTopics)
        }
        Counter(label: Self.errors, dimensions: [("kind", "kafka")]).increment(by: 0)
        // Learn the destination's leaders now, so the first answers do not wait for a metadata refresh.
        _ = try? await producer.topics(timeout: .seconds(5))
        let clock = ContinuousClock()
        var nextTopicCheck = clock.now + topicCheckInterval(taken)
        var lastLog = clock.now
        var loggedAlerts = 0
        var pending = try await consumer.poll(maxMessages: settings.batchSize, timeout: .milliseconds(100))
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            progress.withLock { $0 = .now }
            let messages = pending
            if !consumer.assignment.isEmpty { onReady() }
            // The next batch is fetched while this one is answered; offsets are committed in order.
            async let following = consumer.poll(maxMessages: settings.batchSize, timeout: .milliseconds(100))
            if !messages.isEmpty {
                let started = ContinuousClock.now
                do {
                    try await answer(messages)
                } catch {
                    Counter(label: Self.errors, dimensions: [("kind", "kafka")]).increment()
                    throw error
                }
                Metrics.Timer(label: Self.batchDuration).record(duration: ContinuousClock.now - started)
            }
            if clock.now - lastLog >= settings.logInterval {
                let now = counts
                let seconds = (clock.now - lastLog) / .seconds(1)
                logger.info(
                    "fake-broker progress",
                    metadata: [
                        "alerts.in": "\(now.alertsIn)", "messages.out": "\(now.messagesOut)", "alerts.bad": "\(now.badAlerts)",
                        "rate": "\(Int(Double(now.alertsIn - loggedAlerts) / seconds)) alerts/s",
                    ])
                lastLog = clock.now
                loggedAlerts = now.alertsIn
            }
            pending = try await following
            if settings.alone, clock.now >= nextTopicCheck {
                let now = try await takeSourcePartitions(previous: taken)
                // Taken again, every partition restarts at the group's committed offset: the
                // batch just fetched (neither answered nor committed) is fetched again.
                if now != taken { pending = [] }
                taken = now
                nextTopicCheck = clock.now + topicCheckInterval(taken)
            }
        }
        // Alerts fetched but not answered are fetched again after a restart (nothing was committed for them).
        try await producer.flush(timeout: .seconds(30))
        await consumer.close()
    }

    /// How long until the source topics are looked at again: 2 s while one is missing (the
    /// sender creates a DDF topic with its first DDF alert), 30 s once all are there.
    private func topicCheckInterval(_ taken: Set<KafkaTopicPartition>) -> Duration {
        Set(taken.map(\.topic)).isSuperset(of: settings.sourceTopics) ? .seconds(30) : .seconds(2)
    }

    /// Takes every partition of the source topics that exist, each at the group's committed
    /// offset (or the beginning with `fromBeginning`, the first time only). Nothing changes
    /// when the partitions are those already taken.
    private func takeSourcePartitions(previous: Set<KafkaTopicPartition>?) async throws -> Set<KafkaTopicPartition> {
        let metadata = try await consumer.topics()
        let partitions = metadata.partitions(of: settings.sourceTopics)
        if partitions == previous { return partitions }
        let rewound = previous ?? []
        try consumer.assign(
            Dictionary(
                uniqueKeysWithValues: partitions.map { partition in
                    (partition, settings.fromBeginning && !rewound.contains(partition) ? KafkaStartOffset.beginning : nil)
                }))
        let missing = settings.sourceTopics.filter { topic in !metadata.contains { $0.name == topic } }
        logger.info(
            "Took the source partitions directly",
            metadata: ["partitions": "\(partitions.count)", "kafka.topics.missing": "\(missing.joined(separator: ","))"])
        return partitions
    }

    /// Classifies, produces, waits for acknowledgement, then commits the batch's offsets.
    func answer(_ messages: [KafkaMessage]) async throws {
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        var outgoing: [KafkaOutgoingMessage] = []
        outgoing.reserveCapacity(messages.count * settings.classifiers.count)
        var bad = 0
        var undecodable: [String: Int] = [:]
        for message in messages {
            let alert: Alert
            do {
                alert = try AvroCodec.decodeFramed(Alert.self, from: message.value ?? []).record
            } catch {
                bad += 1
                undecodable[message.topic, default: 0] += 1
                logger.warning(
                    "Skipping an alert that cannot be decoded",
                    metadata: [
                        "kafka.topic": "\(message.topic)", "kafka.partition": "\(message.partition)",
                        "kafka.offset": "\(message.offset)", "error": "\(error)",
                    ])
                continue
            }
            for classifier in settings.classifiers {
                var random =
                    settings.seed.map { ClassifierRandom(seed: $0, alertId: alert.alertId, salt: classifier.classifierName) }
                    ?? ClassifierRandom(seed: UInt64.random(in: .min ... .max), alertId: alert.alertId, salt: classifier.classifierName)
                let classification = BrokerClassification(
                    alertId: alert.alertId, diaSourceId: alert.diaSource.diaSourceId,
                    elasticcPublishTimestamp: message.timestamp ?? now, brokerIngestTimestamp: now,
                    brokerName: settings.brokerName ?? classifier.brokerName, brokerVersion: classifier.brokerVersion,
                    classifierName: classifier.classifierName, classifierParams: classifier.classifierParams,
                    classifications: classifier.classify(alert, random: &random))
                outgoing.append(
                    KafkaOutgoingMessage(topic: settings.destinationTopic, value: AvroCodec.encode(classification, reservingCapacity: 256)))
            }
        }
        let results = await producer.sendRetryingFailuresOnce(outgoing, logger: logger)
        if let error = KafkaProducer.firstFailure(results) {
            // Nothing of this batch is committed: after a restart it is answered again.
            throw error
        }
        try await consumer.commit(KafkaConsumer.offsetsToCommit(after: messages))
        var consumed: [String: Int] = [:]
        for message in messages { consumed[message.topic, default: 0] += 1 }
        for (topic, count) in consumed {
            Counter(label: Self.alertsConsumed, dimensions: [("topic", topic)]).increment(by: count - undecodable[topic, default: 0])
        }
        for (topic, count) in undecodable { Counter(label: Self.alertsUndecodable, dimensions: [("topic", topic)]).increment(by: count) }
        var produced: [String: Int] = [:]
        for message in outgoing { produced[message.topic, default: 0] += 1 }
        for (topic, count) in produced { Counter(label: Self.classificationsProduced, dimensions: [("topic", topic)]).increment(by: count) }
        counters.withLock {
            $0.alertsIn += messages.count - bad
            $0.badAlerts += bad
            $0.messagesOut += outgoing.count
        }
    }
}
