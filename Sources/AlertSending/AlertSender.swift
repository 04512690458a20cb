import AvroSchemas
import Foundation
import HeapTuning
import Kafka
import Logging
import Postgres
import ServiceLifecycle

/// Sends the night's alerts: reads unsent alerts in time order a batch at a time, rebuilds each
/// batch with three queries, encodes it on every core while the previous batch is in flight,
/// and marks an alert sent only when the cluster acknowledged every one of its messages.
///
/// Each connection's work runs on that connection's own thread (`AlertStore` and
/// `PendingAlertCursor` are actors on their connections' executors); marking a batch overlaps
/// with delivering the next as a child task, which every exit path awaits before the run's lock
/// is released.
public final class AlertSender: Sendable {
    /// One run at a time across hosts: a session-level advisory lock on this key ("ESALERTS").
    public static let lockKey: Int64 = 0x4553_414C_4552_5453
    /// Every this many batches the heap's free pages go back to the system: a night's run keeps
    /// a full history cache while batch-sized blocks come and go around it, and glibc would
    /// otherwise keep what it freed in between resident.
    static let batchesBetweenHeapReleases = 10

    private let settings: AlertSenderSettings
    private let conninfo: String
    private let producer: KafkaProducer?
    private let logger: Logger
    /// For fault tests: called before reading batch `n` (0, 1, …); a throw fails that read.
    let beforeRead: @Sendable (Int) throws -> Void

    public convenience init(settings: AlertSenderSettings, conninfo: String, producer: KafkaProducer?, logger: Logger) {
        self.init(settings: settings, conninfo: conninfo, producer: producer, logger: logger, beforeRead: { _ in })
    }

    init(
        settings: AlertSenderSettings, conninfo: String, producer: KafkaProducer?, logger: Logger,
        beforeRead: @escaping @Sendable (Int) throws -> Void
    ) {
        self.settings = settings
        self.conninfo = conninfo
        self.producer = producer
        self.logger = logger
        self.beforeRead = beforeRead
    }

    struct Batch: Sendable {
        var alertIds: [Int64]
        var messages: [KafkaOutgoingMessage]
        /// For each message, the index of its alert in `alertIds`.
        var alertOfMessage: [Int]
        /// Indexes in `alertIds` of the alerts no message could be built for (no object, no
        /// history): never marked sent, always reported.
        var unbuildable: [Int] = []
    }

    public func run() async throws -> SendSummary {
        let started = ContinuousClock.now
        let lockConnection = try await PostgresConnection.open(conninfo, applicationName: "alert-sender lock")
        guard try await lockConnection.tryAdvisoryLock(Self.lockKey) else {
            logger.notice("Another alert-sender holds the lock; not sending")
            return SendSummary(outcome: .anotherRunHoldsTheLock)
        }
        // Every mark has finished when either path gets here: only then may another run see these alerts.
        do {
            let summary = try await sendHoldingTheLock(started: started)
            await release(lockConnection)
            return summary
        } catch {
            await release(lockConnection)
            throw error
        }
    }

    /// Releases the run's lock. A session the server dropped (a restart) has released it already.
    private func release(_ lockConnection: PostgresConnection) async {
        do { try await lockConnection.advisoryUnlock(Self.lockKey) } catch {
            logger.warning("Could not release the run's lock; its session is gone, and the lock with it", metadata: ["error": "\(error)"])
        }
    }

    private func sendHoldingTheLock(started: ContinuousClock.Instant) async throws -> SendSummary {
        async let readConnection = PostgresConnection.open(conninfo, applicationName: "alert-sender read")
        async let forcedConnection = PostgresConnection.open(conninfo, applicationName: "alert-sender read forced")
        async let markConnection = PostgresConnection.open(conninfo, applicationName: "alert-sender mark")
        async let cursorConnection = PostgresConnection.open(conninfo, applicationName: "alert-sender cursor")
        let reader = AlertStore(connection: try await readConnection, forcedConnection: try await forcedConnection)
        let marker = AlertStore(connection: try await markConnection)
        let edges = try await reader.windowEdges()
        let window = SendWindow.compute(mode: settings.mode, startDay: settings.startDay, latestSent: edges.latestSent, firstAlert: edges.firstAlert)
        var summary = SendSummary(outcome: .completed, window: window)
        guard !settings.dryRun, let producer else {
            summary.alertsInWindow = try await reader.countToSend(window)
            logWindow(window, alerts: summary.alertsInWindow)
            summary.outcome = .dryRun
            summary.messagesPerTopic = [
                settings.topics.wfd: summary.alertsInWindow.wfd, settings.topics.ddfFull: summary.alertsInWindow.ddf,
                settings.topics.ddfLimited: summary.alertsInWindow.ddf,
            ]
            return summary
        }
        // The count only feeds the log and the progress: it runs on the mark session, idle until
        // the first batch is delivered, while the first batch is read, so nothing waits for it.
        // So does learning every topic's leaders, so the first batch does not wait for a
        // metadata refresh.
        async let counted = marker.countToSend(window)
        async let leadersKnown: Void = { _ = try? await producer.topics(timeout: .seconds(5)) }()
        let status = StatusFiles(directory: settings.statusDirectory)
        status.started()
        let cursor = PendingAlertCursor(connection: try await cursorConnection, window: window, unsentOnly: true)
        let first = try await readBatch(0, reader, cursor: cursor)
        summary.alertsInWindow = try await counted
        await leadersKnown
        logWindow(window, alerts: summary.alertsInWindow)
        let total = summary.alertsInWindow.wfd + summary.alertsInWindow.ddf
        var progress = SendProgress(total: total, logEvery: settings.logEvery, drawBar: settings.progressBar, logger: logger)

        try await withThrowingTaskGroup(of: Void.self) { marks in
            var batchNumber = 0
            var next = first
            while let batch = next, !batch.alertIds.isEmpty {
                let batchStart = ContinuousClock.now
                batchNumber += 1
                let followingNumber = batchNumber
                // Read and build the next batch while this one is in flight.
                async let following = readBatch(followingNumber, reader, cursor: cursor)
                let delivered = await deliver(batch, with: producer)
                let deliveredAt = ContinuousClock.now
                let sentIds = delivered.enumerated().filter { $0.element }.map { batch.alertIds[$0.offset] }
                if !batch.unbuildable.isEmpty { report(unbuildable: batch.unbuildable.map { batch.alertIds[$0] }, in: &summary) }
                // At most one mark in flight: the previous one must be done before the next starts.
                try await marks.next()
                marks.addTask { [logger] in
                    try await retryingOnConnectionLoss(
                        logger: logger, reconnect: { try await marker.reconnect() }, operation: { try await marker.markSent(sentIds) })
                }
                logger.debug(
                    "Batch sent",
                    metadata: [
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
                if sentIds.count + batch.unbuildable.count < batch.alertIds.count {
                    try await marks.waitForAll()
                    summary.seconds = (ContinuousClock.now - started) / .seconds(1)
                    status.finished(sent: summary.alertsSent)
                    throw AlertSendError(
                        description:
                            "\(batch.alertIds.count - sentIds.count) alerts were not acknowledged by Kafka after a retry; they stay unsent for the next run"
                    )
                }
                // Graceful shutdown (a stop signal) ends the run between batches.
                if Task.isShuttingDownGracefully || Task.isCancelled {
                    summary.outcome = .stopped
                    logger.notice("Stopping on request after delivering and marking the alerts in flight")
                    break
                }
                if batchNumber % Self.batchesBetweenHeapReleases == 0 { HeapTuning.releaseFreeMemory() }
                if let rate = settings.rate {
                    let wanted = Duration.seconds(Double(batch.alertIds.count) / rate)
                    let elapsed = ContinuousClock.now - batchStart
                    if elapsed < wanted { try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wanted - elapsed) } }
                }
                next = upcoming
            }
            try await marks.waitForAll()
        }
        progress.finish()
        summary.seconds = (ContinuousClock.now - started) / .seconds(1)
        status.finished(sent: summary.alertsSent)
        return summary
    }

    private func logWindow(_ window: SendWindow, alerts: (wfd: Int, ddf: Int)) {
        logger.info("Alert window", metadata: ["window": "\(window)", "alerts.wfd": "\(alerts.wfd)", "alerts.ddf": "\(alerts.ddf)"])
    }

    /// Alerts left unsent because no message can be built for them: a warning naming them here,
    /// a count in the summary, and a failed run at the end.
    private func report(unbuildable alertIds: [Int64], in summary: inout SendSummary) {
        summary.alertsUnbuildable += alertIds.count
        summary.unbuildableAlertIds.append(contentsOf: alertIds.prefix(max(0, SendSummary.unbuildableIdsKept - summary.unbuildableAlertIds.count)))
        logger.warning(
            "Alerts left unsent: no message can be built for them (their source has no object in elasticc2_ppdbdiaobject, or the object no history)",
            metadata: [
                "alerts": "\(alertIds.count)",
                "alert_ids": "\(alertIds.prefix(SendSummary.unbuildableIdsKept).map(String.init).joined(separator: ","))",
            ])
    }

    /// Produces a batch (failures once more); per alert, whether every one of its messages was acknowledged.
    /// An alert no message was built for counts as not delivered.
    private func deliver(_ batch: Batch, with producer: KafkaProducer) async -> [Bool] {
        let results = await producer.sendRetryingFailuresOnce(batch.messages, logger: logger)
        var delivered = Array(repeating: true, count: batch.alertIds.count)
        for index in batch.unbuildable { delivered[index] = false }
        for (index, result) in results.enumerated() {
            if case .failure = result { delivered[batch.alertOfMessage[index]] = false }
        }
        return delivered
    }

    private func readBatch(_ number: Int, _ store: AlertStore, cursor: PendingAlertCursor) async throws -> Batch? {
        try beforeRead(number)
        let started = ContinuousClock.now
        let limit = settings.flushEvery
        let pending = try await retryingOnConnectionLoss(
            logger: logger, reconnect: { try await cursor.reconnect() }, operation: { try await cursor.next(limit: limit) })
        guard !pending.isEmpty else { return nil }
        let paged = ContinuousClock.now
        let histories = try await retryingOnConnectionLoss(
            logger: logger, reconnect: { try await store.reconnect() }, operation: { try await store.histories(for: pending) })
        let queried = ContinuousClock.now
        let batch = await Self.build(pending, histories: histories, topics: settings.topics, parts: settings.encodingThreads)
        logger.debug(
            "Batch read",
            metadata: [
                "alerts": "\(pending.count)", "objects": "\(histories.count)", "page.ms": "\((paged - started) / .milliseconds(1))",
                "histories.ms": "\((queried - paged) / .milliseconds(1))", "encode.ms": "\((ContinuousClock.now - queried) / .milliseconds(1))",
            ])
        return batch
    }

    /// Encodes a batch's messages in `parts` child tasks, joined in order.
    static func build(_ pending: [PendingAlert], histories: [Int64: EncodedHistory], topics: AlertTopics, parts: Int) async -> Batch {
        let parts = max(1, min(parts, pending.count / 64))
        let slices = await withTaskGroup(of: (Int, EncodedSlice).self) { group in
            for part in 0..<parts {
                group.addTask {
                    let range = (pending.count * part / parts)..<(pending.count * (part + 1) / parts)
                    return (part, encode(pending, range, histories: histories, topics: topics))
                }
            }
            var slices = Array(repeating: EncodedSlice(), count: parts)
            for await (part, slice) in group { slices[part] = slice }
            return slices
        }
        return Batch(
            alertIds: pending.map(\.alertId), messages: slices.flatMap(\.messages), alertOfMessage: slices.flatMap(\.owners),
            unbuildable: slices.flatMap(\.unbuildable))
    }

    struct EncodedSlice: Sendable {
        var messages: [KafkaOutgoingMessage] = []
        var owners: [Int] = []
        var unbuildable: [Int] = []
    }

    private static func encode(
        _ pending: [PendingAlert], _ range: Range<Int>, histories: [Int64: EncodedHistory], topics: AlertTopics
    ) -> EncodedSlice {
        var slice = EncodedSlice()
        for index in range {
            let alert = pending[index]
            guard let objectId = alert.source.diaObjectId, let history = histories[objectId] else {
                slice.unbuildable.append(index)
                continue
            }
            let key = Array(String(objectId).utf8)
            let full = history.alert(alertId: alert.alertId, source: alert.source, historyDays: AlertTopics.fullHistoryDays)
            if history.isDDF {
                let limited = history.alert(alertId: alert.alertId, source: alert.source, historyDays: AlertTopics.limitedHistoryDays)
                slice.messages.append(KafkaOutgoingMessage(topic: topics.ddfFull, key: key, value: full))
                slice.messages.append(KafkaOutgoingMessage(topic: topics.ddfLimited, key: key, value: limited))
                slice.owners += [index, index]
            } else {
                slice.messages.append(KafkaOutgoingMessage(topic: topics.wfd, key: key, value: full))
                slice.owners.append(index)
            }
        }
        return slice
    }
}
