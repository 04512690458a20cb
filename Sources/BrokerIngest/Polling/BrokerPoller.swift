import Foundation
import Kafka
import Logging
import ServiceLifecycle
import Synchronization

/// Consumes one broker's topics into PostgreSQL. Independent of every other broker: its own
/// consumer, its own database connection, its own retries.
public final class BrokerPoller: Sendable {
    public struct Statistics: Sendable, Equatable {
        public var messages = 0
        public var classifiersAdded = 0
        public var deadLetters = 0
        public var alreadyStored = 0
        public var restarts = 0
        public var lag: Int64?
        public var lastError: String?
    }

    public let source: BrokerSource
    private let conninfo: String
    private let logger: Logger
    private let batchSize: Int
    private let topicRefresh: Duration
    private let statistics = Mutex(Statistics())
    /// When the poll loop last went round (or a retry began): `/health` judges a wedged loop by it.
    private let progress = Mutex(ContinuousClock.now)
    private let currentConsumer = Mutex<KafkaConsumer?>(nil)
    /// The next offset to read of each partition, as stored with the rows.
    private let storedNext = Mutex<[KafkaTopicPartition: Int64]>([:])
    /// Where each partition's next fetched message should start: after the last one fetched (a
    /// batch may still be in flight to the database, so not the stored position), or where the
    /// consumer was told to resume.
    private let fetchedNext = Mutex<[KafkaTopicPartition: Int64]>([:])
    /// Partitions whose stored offsets do not fit the partition in Kafka (a recreated topic, a
    /// lost log), with why: nothing of theirs is stored until an operator says where to resume
    /// (`broker-poll reset-offsets`).
    private let refused = Mutex<[KafkaTopicPartition: String]>([:])
    private let metrics: BrokerPollMetrics
    /// The only instance: take every partition directly instead of joining the consumer group
    /// (no join, no rebalance delay); the stored offsets say where each resumes either way.
    private let alone: Bool
    /// Sessions storing batches side by side, each partition always on the same one.
    private let storingSessions: Int

    public init(
        source: BrokerSource, conninfo: String, logger: Logger, batchSize: Int = 5000, topicRefresh: Duration = .seconds(60), alone: Bool = false,
        storingSessions: Int = 2
    ) {
        self.source = source
        self.conninfo = conninfo
        var logger = logger
        logger[metadataKey: "broker"] = "\(source.name)"
        self.logger = logger
        self.batchSize = batchSize
        self.topicRefresh = topicRefresh
        metrics = BrokerPollMetrics(broker: source.name)
        self.alone = alone
        self.storingSessions = max(storingSessions, 1)
    }

    public var stats: Statistics { statistics.withLock { $0 } }

    /// Partitions refused, with why (empty when all is well).
    public var refusedPartitions: [KafkaTopicPartition: String] { refused.withLock { $0 } }

    /// Refuses a partition loudly: an error naming it and the offsets, the metric, `/ready`.
    private func refuse(_ partition: KafkaTopicPartition, _ reason: String) {
        let count: Int? = refused.withLock { refused in
            guard refused[partition] == nil else { return nil }
            refused[partition] = reason
            return refused.count
        }
        guard let count else { return }
        metrics.recordRefused(count)
        logger.error(
            "Partition refused: its stored offsets do not fit Kafka's; nothing of it is stored until `broker-poll reset-offsets` says where to resume",
            metadata: [
                "kafka.topic": "\(partition.topic)", "kafka.partition": "\(partition.partition)", "group": "\(source.groupId)", "reason": "\(reason)",
            ])
    }

    /// The stored offsets that fit their partitions' watermarks; the others' partitions are
    /// refused. A stored position past the end means the topic was recreated or its log lost
    /// (its new messages would otherwise count as stored already); one before the start, that
    /// messages expired in Kafka before they were stored.
    private func checkedOffsets(_ stored: [KafkaTopicPartition: Int64], on consumer: KafkaConsumer) async throws -> [KafkaTopicPartition: Int64] {
        var fitting: [KafkaTopicPartition: Int64] = [:]
        for (partition, next) in stored {
            let marks = try await consumer.watermarks(topic: partition.topic, partition: partition.partition)
            if let misfit = Self.misfit(storedNext: next, low: marks.low, high: marks.high) {
                refuse(partition, misfit)
            } else {
                fitting[partition] = next
            }
        }
        return fitting
    }

    /// Why a stored position does not fit a partition's watermarks, or nil when it does.
    static func misfit(storedNext next: Int64, low: Int64, high: Int64) -> String? {
        if next > high {
            return "stored position \(next) is past the partition's end (offsets \(low)–\(high)): the topic was recreated or its log lost"
        }
        if next < low {
            return "stored position \(next) is before the partition's start (offsets \(low)–\(high)): messages expired in Kafka unstored"
        }
        return nil
    }

    /// Why a batch starting past where the partition's fetches had reached means lost messages,
    /// or nil when the skip is Kafka's own (the log still holds that position).
    static func expiredUnstored(fetchedNext next: Int64, firstFetched first: Int64, low: Int64) -> String? {
        guard first > next, low > next else { return nil }
        return "a batch started at offset \(first), past the position \(next) fetched up to, and the partition now starts at \(low): "
            + "messages \(next)–\(low - 1) expired in Kafka before they were stored (retention shorter than broker-poll's lag)"
    }

    public var lastProgress: ContinuousClock.Instant { progress.withLock { $0 } }

    private func advance() {
        progress.withLock { $0 = .now }
    }

    /// Graceful shutdown (a stop signal) ends the loops between batches; cancellation too.
    static var stopping: Bool { Task.isShuttingDownGracefully || Task.isCancelled }

    /// Runs until graceful shutdown: the batch in hand is stored, the rest read again on the
    /// next start. Failures (unreachable cluster, database down) are retried with backoff up to
    /// a minute and never end the loop. `onAssigned` runs whenever partitions were assigned.
    public func run(onAssigned: @escaping @Sendable () -> Void = {}) async {
        var backoff = Duration.seconds(1)
        var firstSession = true
        while !Self.stopping {
            advance()
            do {
                try await session(reset: firstSession && source.reset, onAssigned: onAssigned)
                return
            } catch {
                statistics.withLock {
                    $0.restarts += 1
                    $0.lastError = "\(error)"
                }
                metrics.recordError(kind: error is KafkaError ? "kafka" : "database")
                logger.error("Broker session failed; retrying", metadata: ["error": "\(error)", "backoff": "\(backoff)"])
            }
            firstSession = false
            try? await cancelWhenGracefulShutdown { [backoff] in try await Task.sleep(for: backoff) }
            backoff = min(backoff * 2, .seconds(60))
        }
    }

    private func session(reset: Bool, onAssigned: @escaping @Sendable () -> Void) async throws {
        let lanes = try await StoringLanes.open(conninfo: conninfo, group: source.groupId, sessions: storingSessions)
        let store = lanes.any
        let logger = self.logger
        let resumeAtStoredOffsets: KafkaConsumer.RebalanceHandler = { [self] event in
            guard case .assigned(let partitions) = event else {
                // Fetches of a partition taken back say nothing about where it resumes next time.
                if case .revoked(let partitions) = event { fetchedNext.withLock { for partition in partitions { $0[partition] = nil } } }
                return [:]
            }
            // Exactly once: resume where the rows stored so far end, whatever Kafka's group committed.
            let offsets: [KafkaTopicPartition: Int64]
            do {
                offsets = try await store.storedOffsets(for: partitions)
            } catch {
                logger.error("Cannot read stored offsets; starting from the group's", metadata: ["error": "\(error)"])
                return [:]
            }
            storedNext.withLock { $0.merge(offsets) { max($0, $1) } }
            fetchedNext.withLock { $0.merge(offsets) { $1 } }
            guard let consumer = currentConsumer.withLock({ $0 }) else { return offsets.mapValues { KafkaStartOffset.offset($0) } }
            do {
                let fitting = try await checkedOffsets(offsets, on: consumer)
                // A refused partition starts at its end: what it fetches is set aside unstored anyway.
                return offsets.mapValues { _ in KafkaStartOffset.end }.merging(fitting.mapValues { KafkaStartOffset.offset($0) }) { $1 }
            } catch {
                // The batches' own check still sees a partition whose end is before its stored position.
                logger.warning("Cannot compare stored offsets with Kafka's; resuming at the stored offsets", metadata: ["error": "\(error)"])
                return offsets.mapValues { KafkaStartOffset.offset($0) }
            }
        }
        let consumer = try KafkaConsumer(
            configuration: source.kafkaConfiguration(), groupId: source.groupId, startAtBeginning: reset, logger: logger,
            rebalanceHandler: alone ? nil : resumeAtStoredOffsets)
        currentConsumer.withLock { $0 = consumer }
        do {
            try await consume(consumer, lanes: lanes, reset: reset, onAssigned: onAssigned)
        } catch {
            currentConsumer.withLock { $0 = nil }
            await consumer.close()
            throw error
        }
        currentConsumer.withLock { $0 = nil }
        await consumer.close()
    }

    private func consume(_ consumer: KafkaConsumer, lanes: StoringLanes, reset: Bool, onAssigned: @escaping @Sendable () -> Void) async throws {
        let store = lanes.any
        let clock = ContinuousClock()
        var subscribed: [String] = []
        var taken: Set<KafkaTopicPartition> = []
        if alone {
            taken = try await assignDirectly(consumer, reset: reset, store: store, previous: nil)
        } else {
            subscribed = try await subscribe(consumer, reset: reset, store: store, previous: nil)
        }
        var nextRefresh = clock.now + (taken.isEmpty && alone ? .seconds(2) : topicRefresh)
        var pending = try await fetch(consumer, lanes)
        var wasAssigned = false
        while !Self.stopping {
            advance()
            // Announced each time the share comes (partitions, or none for a replica too many).
            let isAssigned = consumer.hasJoinedGroup || !consumer.assignment.isEmpty
            if isAssigned, !wasAssigned { onAssigned() }
            wasAssigned = isAssigned
            if alone, clock.now >= nextRefresh {
                // New topics and partitions are taken as they appear (sooner while there are none).
                taken = try await assignDirectly(consumer, reset: false, store: store, previous: taken)
                nextRefresh = clock.now + (taken.isEmpty ? .seconds(2) : topicRefresh)
            } else if case .datedPattern = source.topics, clock.now >= nextRefresh {
                subscribed = try await subscribe(consumer, reset: false, store: store, previous: subscribed)
                nextRefresh = clock.now + topicRefresh
            }
            let parts = pending
            if parts.isEmpty {
                if let error = consumer.lastError, statistics.withLock({ $0.lastError }) != error.description {
                    statistics.withLock { $0.lastError = error.description }
                    metrics.recordError(kind: "kafka")
                }
                pending = try await fetch(consumer, lanes)
                continue
            }
            // Fetch and decode the next batch while this one is stored.
            async let following = fetch(consumer, lanes)
            let storing = ContinuousClock.now
            let outcome = try await lanes.store(parts)
            var consumed: [String: TopicCounts] = [:]
            var read: [KafkaTopicPartition: Int64] = [:]
            for part in parts {
                consumed.merge(part.batch.summary.byTopic) { $0 + $1 }
                read.merge(part.batch.summary.nextOffsets) { max($0, $1) }
            }
            metrics.recordBatch(consumed: consumed, outcome: outcome, storeDuration: ContinuousClock.now - storing)
            storedNext.withLock { $0.merge(outcome.nextOffsets) { max($0, $1) } }
            statistics.withLock {
                $0.messages += outcome.messages
                $0.classifiersAdded += outcome.classifiersAdded
                $0.deadLetters += outcome.deadLetters
                $0.alreadyStored += outcome.alreadyStored
                $0.lastError = nil
            }
            if outcome.deadLetters > 0 {
                for letter in parts.flatMap(\.batch.summary.letters) {
                    logger.warning(
                        "Dead letter",
                        metadata: [
                            "kafka.topic": "\(letter.topic)", "kafka.partition": "\(letter.partition)",
                            "kafka.offset": "\(letter.offset)", "error": "\(letter.error)",
                        ])
                }
            }
            // Informational only: the stored offsets are the truth, so the group commit is not awaited.
            let commits = read.map { KafkaTopicPartitionOffset(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value) }
            do { try await consumer.commit(commits, waiting: false) } catch {
                logger.debug("Kafka group commit failed", metadata: ["error": "\(error)"])
            }
            pending = try await following
        }
        // Messages fetched but not stored are read again after a restart, from the stored offsets.
    }

    /// The next batch, each message decoded and checked (or made a dead letter), split by
    /// storing lane, each part's rows built. A partition whose messages start below its stored
    /// position while it ends before that position is refused (Kafka restarted it from its
    /// beginning: recreated under us), as is one whose messages start past its stored position
    /// while it now starts past that position too (messages expired in Kafka before they were
    /// stored: the consumer's reset would otherwise skip them without a word); the messages of
    /// refused partitions are set aside, not stored: read again after a reset.
    private func fetch(_ consumer: KafkaConsumer, _ lanes: StoringLanes) async throws -> [(lane: Int, batch: ClassificationStore.PreparedBatch)] {
        var messages = try await consumer.poll(maxMessages: batchSize, timeout: .milliseconds(100))
        let positions = storedNext.withLock { $0 }
        var firstOffsets: [KafkaTopicPartition: Int64] = [:]
        var lastOffsets: [KafkaTopicPartition: Int64] = [:]
        for message in messages {
            let partition = KafkaTopicPartition(topic: message.topic, partition: message.partition)
            if firstOffsets[partition] == nil { firstOffsets[partition] = message.offset }
            lastOffsets[partition] = message.offset
        }
        let expected = fetchedNext.withLock { fetched in
            defer { for (partition, last) in lastOffsets { fetched[partition] = last + 1 } }
            return fetched
        }
        for (partition, first) in firstOffsets {
            if let fetched = expected[partition] ?? positions[partition], first > fetched {
                // Offsets may skip legitimately (transaction markers, compaction); messages are
                // gone only when the partition's log now starts past where this fetch should have.
                if let marks = try? await consumer.watermarks(topic: partition.topic, partition: partition.partition),
                    let gone = Self.expiredUnstored(fetchedNext: fetched, firstFetched: first, low: marks.low)
                {
                    refuse(partition, gone)
                }
                continue
            }
            guard let next = positions[partition], first < next else { continue }
            // Below the stored position is a replay (the group's committed offsets lag the stored
            // ones) unless the partition now ends before that position: then it was recreated.
            var marks = consumer.cachedWatermarks(topic: partition.topic, partition: partition.partition)
            if marks == nil { marks = try? await consumer.watermarks(topic: partition.topic, partition: partition.partition) }
            if let marks, marks.high < next {
                refuse(
                    partition,
                    "a batch started at offset \(first), below the stored position \(next), and the partition ends at \(marks.high): the topic was recreated or its log replaced"
                )
            }
        }
        let refusedNow = refused.withLock { $0 }
        if !refusedNow.isEmpty {
            messages.removeAll { refusedNow[KafkaTopicPartition(topic: $0.topic, partition: $0.partition)] != nil }
        }
        return lanes.prepare(messages.map(ConsumedMessage.validate))
    }

    /// Subscribes to the broker's topics (for a dated pattern, those in today's window).
    private func subscribe(_ consumer: KafkaConsumer, reset: Bool, store: ClassificationStore, previous: [String]?) async throws -> [String] {
        let topics: [String]
        switch source.topics {
        case .names(let names):
            topics = names
        case .datedPattern:
            let available = try await consumer.topics().map(\.name)
            topics = source.topicsToSubscribe(available: available)
        }
        if topics == previous { return topics }
        if reset { try await store.forgetOffsets(topics: topics) }
        if topics.isEmpty {
            logger.notice("No topics to consume yet")
            try consumer.subscribe(["^$never-matching-elasticc-topic"])
        } else {
            logger.info("Subscribing", metadata: ["kafka.topics": "\(topics.joined(separator: ","))"])
            try consumer.subscribe(topics)
        }
        return topics
    }

    /// Takes every partition of the broker's topics directly, each resuming at its stored offset
    /// (or the group's committed one, or the earliest): exactly once as with the group protocol.
    /// Nothing changes when the partitions are the ones already taken.
    private func assignDirectly(
        _ consumer: KafkaConsumer, reset: Bool, store: ClassificationStore, previous: Set<KafkaTopicPartition>?
    ) async throws -> Set<KafkaTopicPartition> {
        let metadata = try await consumer.topics()
        let available = metadata.map(\.name)
        let topics: [String]
        switch source.topics {
        case .names(let names): topics = names.filter { available.contains($0) }
        case .datedPattern: topics = source.topicsToSubscribe(available: available)
        }
        let partitions = metadata.partitions(of: topics)
        if partitions == previous { return partitions }
        if reset { try await store.forgetOffsets(topics: topics) }
        let stored = try await store.storedOffsets(for: Array(partitions))
        storedNext.withLock { $0.merge(stored) { max($0, $1) } }
        fetchedNext.withLock { $0.merge(stored) { $1 } }
        let fitting = try await checkedOffsets(stored, on: consumer)
        let refusedNow = refused.withLock { $0 }
        try consumer.assign(
            Dictionary(
                uniqueKeysWithValues: partitions.filter { refusedNow[$0] == nil }.map { partition in
                    (partition, fitting[partition].map { KafkaStartOffset.offset($0) } ?? (reset ? .beginning : nil))
                }))
        logger.info("Took partitions directly", metadata: ["kafka.topics": "\(topics.joined(separator: ","))", "partitions": "\(partitions.count)"])
        return partitions
    }

    /// Whether this broker's consumer has partitions assigned now.
    public var hasAssignment: Bool {
        currentConsumer.withLock { $0.map { !$0.assignment.isEmpty } ?? false }
    }

    /// Whether this broker's consumer is in its group with its share, which may be no partition
    /// at all (more broker-poll replicas than partitions: ready, and idle).
    public var hasJoinedGroup: Bool {
        currentConsumer.withLock { $0?.hasJoinedGroup ?? false }
    }

    /// Messages not yet stored on the assigned partitions: the high watermark the last fetches
    /// reported minus the stored position. Asks no server, so it never waits.
    /// Also sets the lag gauge of every partition whose watermarks are known.
    public func measureLag() -> Int64? {
        guard let consumer = currentConsumer.withLock({ $0 }) else { return nil }
        let stored = storedNext.withLock { $0 }
        var lag: Int64 = 0
        var byPartition: [KafkaTopicPartition: Int64] = [:]
        var complete = true
        for partition in consumer.assignment {
            guard let marks = consumer.cachedWatermarks(topic: partition.topic, partition: partition.partition) else {
                complete = false
                continue
            }
            byPartition[partition] = max(0, marks.high - (stored[partition] ?? marks.low))
            lag += byPartition[partition] ?? 0
        }
        metrics.recordLag(byPartition)
        guard complete else { return nil }
        statistics.withLock { $0.lag = lag }
        return lag
    }
}
