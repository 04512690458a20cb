import AvroSchemas
import Dispatch
import Foundation
import Kafka
import Logging
import Postgres

/// Sends the night's alerts: reads unsent alerts in time order a batch at a time, rebuilds each
/// batch with three queries, encodes on every core while the previous batch is in flight, and
/// marks an alert sent only when the cluster acknowledged every one of its messages.
public final class AlertSender: Sendable {
    /// One run at a time across hosts: a session-level advisory lock on this key ("ESALERTS").
    public static let lockKey: Int64 = 0x4553_414C_4552_5453

    private let settings: AlertSenderSettings
    private let conninfo: String
    private let producer: KafkaProducer?
    private let logger: Logger
    private let shouldStop: @Sendable () -> Bool
    private let readQueue = DispatchQueue(label: "elasticc.alert-sender.read")
    private let cache = HistoryCache()
    private let markQueue = DispatchQueue(label: "elasticc.alert-sender.mark")

    public init(settings: AlertSenderSettings, conninfo: String, producer: KafkaProducer?, logger: Logger,
                shouldStop: @escaping @Sendable () -> Bool = { false }) {
        self.settings = settings
        self.conninfo = conninfo
        self.producer = producer
        self.logger = logger
        self.shouldStop = shouldStop
    }

    struct Batch: Sendable {
        var alertIds: [Int64]
        var messages: [KafkaOutgoingMessage]
        /// For each message, the index of its alert in `alertIds`.
        var alertOfMessage: [Int]
    }

    public func run() async throws -> SendSummary {
        let started = ContinuousClock.now
        let lockConnection = try PostgresConnection(conninfo, applicationName: "alert-sender lock")
        guard try lockConnection.tryAdvisoryLock(Self.lockKey) else {
            logger.notice("Another alert-sender holds the lock; not sending")
            return SendSummary(outcome: .anotherRunHoldsTheLock)
        }
        defer { try? lockConnection.advisoryUnlock(Self.lockKey) }

        let reader = AlertStore(connection: try PostgresConnection(conninfo, applicationName: "alert-sender read"),
                                forcedConnection: try PostgresConnection(conninfo, applicationName: "alert-sender read forced"))
        let marker = AlertStore(connection: try PostgresConnection(conninfo, applicationName: "alert-sender mark"))
        let edges = try reader.windowEdges()
        let window = SendWindow.compute(mode: settings.mode, startDay: settings.startDay, latestSent: edges.latestSent, firstAlert: edges.firstAlert)
        var summary = SendSummary(outcome: .completed, window: window)
        summary.alertsInWindow = try reader.countToSend(window)
        let total = summary.alertsInWindow.wfd + summary.alertsInWindow.ddf
        logger.info("Alert window", metadata: [
            "window": "\(window)", "alerts.wfd": "\(summary.alertsInWindow.wfd)", "alerts.ddf": "\(summary.alertsInWindow.ddf)",
        ])
        if settings.dryRun || producer == nil {
            summary.outcome = .dryRun
            summary.messagesPerTopic = [settings.topics.wfd: summary.alertsInWindow.wfd, settings.topics.ddfFull: summary.alertsInWindow.ddf,
                                        settings.topics.ddfLimited: summary.alertsInWindow.ddf]
            return summary
        }
        let producer = producer!
        // Learn every topic's leaders now, so the first batch does not wait for a metadata refresh.
        _ = try? producer.listTopics(timeout: .seconds(5))
        let status = StatusFiles(directory: settings.statusDirectory)
        status.started()
        let progress = SendProgress(total: total, logEvery: settings.logEvery, drawBar: settings.progressBar, logger: logger)

        let cursor = PendingAlertCursor(connection: try PostgresConnection(conninfo, applicationName: "alert-sender cursor"),
                                        window: window, unsentOnly: true)
        var next = try await readBatch(reader, cursor: cursor)
        // Marking a batch sent overlaps with delivering the next; at most one mark is in flight.
        var marking: Task<Void, Error>?
        defer { marking?.cancel() }
        while let batch = next, !batch.alertIds.isEmpty {
            let batchStart = ContinuousClock.now
            // Read and build the next batch while this one is in flight.
            async let following = readBatch(reader, cursor: cursor)
            let delivered = await deliver(batch, with: producer)
            let deliveredAt = ContinuousClock.now
            let sentIds = delivered.enumerated().filter { $0.element }.map { batch.alertIds[$0.offset] }
            try await marking?.value
            marking = Task { [markQueue, logger] in
                try await Self.onQueue(markQueue) { try marker.retryingOnConnectionLoss(logger: logger) { try marker.markSent(sentIds) } }
            }
            logger.debug("Batch sent", metadata: [
                "alerts": "\(batch.alertIds.count)", "messages": "\(batch.messages.count)",
                "deliver.ms": "\((deliveredAt - batchStart) / .milliseconds(1))",
            ])
            for (index, message) in batch.messages.enumerated() where delivered[batch.alertOfMessage[index]] {
                summary.messagesPerTopic[message.topic, default: 0] += 1
                summary.bytesPerTopic[message.topic, default: 0] += message.value?.count ?? 0
            }
            summary.alertsSent += sentIds.count
            status.progress(sent: summary.alertsSent)
            progress.advance(to: summary.alertsSent)
            let upcoming = try await following
            if sentIds.count < batch.alertIds.count {
                try await marking?.value
                summary.seconds = (ContinuousClock.now - started) / .seconds(1)
                status.finished(sent: summary.alertsSent)
                throw AlertSendError(description: "\(batch.alertIds.count - sentIds.count) alerts were not acknowledged by Kafka after a retry; they stay unsent for the next run")
            }
            if shouldStop() {
                try await marking?.value
                summary.outcome = .stopped
                logger.notice("Stopping on request after delivering and marking the alerts in flight")
                break
            }
            if let rate = settings.rate {
                let wanted = Duration.seconds(Double(batch.alertIds.count) / rate)
                let elapsed = ContinuousClock.now - batchStart
                if elapsed < wanted { try await Task.sleep(for: wanted - elapsed) }
            }
            next = upcoming
        }
        try await marking?.value
        progress.finish()
        summary.seconds = (ContinuousClock.now - started) / .seconds(1)
        status.finished(sent: summary.alertsSent)
        return summary
    }

    /// Produces a batch; failed messages are produced once more. Returns, per alert, whether
    /// every one of its messages was acknowledged.
    private func deliver(_ batch: Batch, with producer: KafkaProducer) async -> [Bool] {
        var results = await producer.send(batch.messages)
        let failed = results.indices.filter { if case .failure = results[$0] { return true } else { return false } }
        if !failed.isEmpty {
            logger.warning("Retrying failed deliveries", metadata: ["messages": "\(failed.count)", "kafka.error": "\(Self.firstError(results))"])
            let retried = await producer.send(failed.map { batch.messages[$0] })
            for (index, result) in zip(failed, retried) { results[index] = result }
            let stillFailed = retried.filter { if case .failure = $0 { return true } else { return false } }.count
            if stillFailed > 0 {
                logger.error("Deliveries failed after a retry", metadata: ["messages": "\(stillFailed)", "kafka.error": "\(Self.firstError(retried))"])
            }
        }
        var delivered = Array(repeating: true, count: batch.alertIds.count)
        for (index, result) in results.enumerated() {
            if case .failure = result { delivered[batch.alertOfMessage[index]] = false }
        }
        return delivered
    }

    private static func firstError(_ results: [Result<KafkaDeliveryReport, KafkaError>]) -> String {
        for result in results { if case .failure(let error) = result { return error.description } }
        return ""
    }

    private func readBatch(_ store: AlertStore, cursor: PendingAlertCursor) async throws -> Batch? {
        let topics = settings.topics
        let limit = settings.flushEvery
        let logger = self.logger
        let cache = self.cache
        return try await Self.onQueue(readQueue) { () throws -> Batch? in
            let started = ContinuousClock.now
            let pending = try AlertStore.retryingOnConnectionLoss(logger: logger, reconnect: cursor.reconnect) {
                try cursor.next(limit: limit)
            }
            guard !pending.isEmpty else { return nil }
            let paged = ContinuousClock.now
            let histories = try store.retryingOnConnectionLoss(logger: logger) { try cache.histories(for: pending, store: store) }
            let queried = ContinuousClock.now
            let batch = Self.build(pending, histories: histories, topics: topics)
            logger.debug("Batch read", metadata: [
                "alerts": "\(pending.count)", "objects": "\(histories.count)", "page.ms": "\((paged - started) / .milliseconds(1))",
                "histories.ms": "\((queried - paged) / .milliseconds(1))", "encode.ms": "\((ContinuousClock.now - queried) / .milliseconds(1))",
            ])
            return batch
        }
    }

    /// Encodes a batch's messages on every core.
    static func build(_ pending: [PendingAlert], histories: [Int64: ObjectHistory], topics: AlertTopics) -> Batch {
        let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, pending.count / 64))
        let slices = SliceResults(count: parts)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            var messages: [KafkaOutgoingMessage] = []
            var owners: [Int] = []
            let range = (pending.count * part / parts)..<(pending.count * (part + 1) / parts)
            for index in range {
                let alert = pending[index]
                guard let objectId = alert.source.diaObjectId, let history = histories[objectId] else { continue }
                let key = Array(String(objectId).utf8)
                let full = AvroCodec.encode(history.alert(alertId: alert.alertId, source: alert.source, historyDays: AlertTopics.fullHistoryDays))
                if history.isDDF {
                    let limited = AvroCodec.encode(history.alert(alertId: alert.alertId, source: alert.source, historyDays: AlertTopics.limitedHistoryDays))
                    messages.append(KafkaOutgoingMessage(topic: topics.ddfFull, key: key, value: full))
                    messages.append(KafkaOutgoingMessage(topic: topics.ddfLimited, key: key, value: limited))
                    owners += [index, index]
                } else {
                    messages.append(KafkaOutgoingMessage(topic: topics.wfd, key: key, value: full))
                    owners.append(index)
                }
            }
            slices.store(part, messages, owners)
        }
        let (messages, owners) = slices.joined()
        return Batch(alertIds: pending.map(\.alertId), messages: messages, alertOfMessage: owners)
    }

    private static func onQueue<T: Sendable>(_ queue: DispatchQueue, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}

/// Per-thread results of `build`, joined in order once every thread is done.
private final class SliceResults: @unchecked Sendable {
    private let lock = NSLock()
    private var parts: [([KafkaOutgoingMessage], [Int])]

    init(count: Int) { parts = Array(repeating: ([], []), count: count) }

    func store(_ index: Int, _ messages: [KafkaOutgoingMessage], _ owners: [Int]) {
        lock.withLock { parts[index] = (messages, owners) }
    }

    func joined() -> ([KafkaOutgoingMessage], [Int]) {
        lock.withLock { (parts.flatMap(\.0), parts.flatMap(\.1)) }
    }
}
