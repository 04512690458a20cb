import AvroSchemas
import BrokerPolling
import FakeBrokering
import Foundation
import Kafka
import Logging
import PPDB
import Postgres
import Synchronization

/// Throughput of the fake broker and of broker-poll, each on its own pre-filled topic.
enum PipelineBenchmarks {
    static let logger: Logger = {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        return logger
    }()

    struct Figures: Codable {
        var items: Int
        var seconds: Double
        var perSecond: Double
        var peakResidentMegabytes: Double
        /// From the start of consuming (group join included) to the last item.
        var fromStartSeconds: Double?
        var fromStartPerSecond: Double?
    }

    static func peakResidentMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// Produces `count` messages built by `make` in chunks, waiting for every acknowledgement.
    static func fill(_ topic: String, bootstrap: String, count: Int, make: @escaping @Sendable (Int) -> [UInt8]) async throws {
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: bootstrap), logger: logger)
        var start = 0
        while start < count {
            let end = min(start + 20_000, count)
            let results = await producer.send((start..<end).map { KafkaOutgoingMessage(topic: topic, key: Array("\($0)".utf8), value: make($0)) })
            guard results.allSatisfy({ (try? $0.get()) != nil }) else { throw BenchError("producing the benchmark input failed") }
            start = end
        }
    }

    /// Alerts in → classifications acknowledged out, through the FakeBroker library.
    static func fakeBroker(bootstrap: String, source: String, destination: String, alerts: Int) async throws -> Figures {
        try await fill(source, bootstrap: bootstrap, count: alerts) { AvroCodec.encode(TypicalAlert.make(alertId: Int64($0))) }
        let configuration = KafkaConfiguration(bootstrapServers: bootstrap)
        let broker = FakeBroker(
            settings: .init(sourceTopics: [source], destinationTopic: destination, seed: 1, batchSize: 10_000),
            consumer: try KafkaConsumer(configuration: configuration, groupId: "bench-fb-\(UUID().uuidString)", logger: logger),
            producer: try KafkaProducer(configuration: configuration, logger: logger), logger: logger)
        let started = FirstProgress()
        try await broker.run(shouldStop: {
            started.mark(broker.counts.alertsIn)
            return broker.counts.alertsIn >= alerts
        })
        // Timed from the first answered batch, so the group join is not counted; that batch is not counted either.
        let (seconds, counted) = started.since(total: broker.counts.alertsIn)
        return Figures(
            items: broker.counts.alertsIn, seconds: seconds, perSecond: Double(counted) / max(seconds, 1e-9),
            peakResidentMegabytes: peakResidentMegabytes())
    }

    /// Broker messages into PostgreSQL through BrokerPoller: half with one class, half with twenty.
    static func ingest(bootstrap: String, topic: String, conninfo: String, messages: Int, alone: Bool = false) async throws -> Figures {
        try await fill(topic, bootstrap: bootstrap, count: messages) { index in
            let classes = index % 2 == 0 ? 1 : 20
            return AvroCodec.encode(
                BrokerClassification(
                    alertId: Int64(index), diaSourceId: Int64(index), elasticcPublishTimestamp: 1_700_000_000_000 + Int64(index),
                    brokerIngestTimestamp: 1_700_000_000_500 + Int64(index), brokerName: "BenchBroker", brokerVersion: "1.0",
                    classifierName: index % 2 == 0 ? "Nugent" : "RandomSNType", classifierParams: "bench",
                    classifications: (0..<classes).map { .init(classId: 2222 + Int32($0), probability: 1 / Float(classes)) }))
        }
        let poller = BrokerPoller(
            source: BrokerSource(name: "bench", servers: bootstrap, topics: .names([topic]), groupId: "bench-bp-\(UUID().uuidString)"),
            conninfo: conninfo, logger: logger, batchSize: 10_000, alone: alone)
        let started = FirstProgress()
        let start = ContinuousClock.now
        await poller.run(shouldStop: {
            started.mark(poller.stats.messages)
            return poller.stats.messages >= messages
        })
        let total = (ContinuousClock.now - start) / .seconds(1)
        let (seconds, counted) = started.since(total: poller.stats.messages)
        return Figures(
            items: poller.stats.messages, seconds: seconds, perSecond: Double(counted) / max(seconds, 1e-9),
            peakResidentMegabytes: peakResidentMegabytes(), fromStartSeconds: total, fromStartPerSecond: Double(poller.stats.messages) / total)
    }
}

/// When the first batch got through and how many items it held, so start-up (group joins)
/// stays out of the figure: the rate counts only what came after.
final class FirstProgress: Sendable {
    private let state = Mutex<(instant: ContinuousClock.Instant, count: Int)?>(nil)

    func mark(_ count: Int) {
        guard count > 0 else { return }
        state.withLock { first in if first == nil { first = (.now, count) } }
    }

    func since(total: Int) -> (seconds: Double, counted: Int) {
        state.withLock { first in
            guard let first else { return (0, 0) }
            return ((ContinuousClock.now - first.instant) / .seconds(1), total - first.count)
        }
    }
}
