import ArgumentParser
import AvroSchemas
import FakeBrokering
import Foundation
import HeapTuning
import Kafka
import Logging
import ServiceSupport

@main
struct FakeBrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-broker",
        abstract: "Play an alert broker: answer each alert with brokerClassification messages (the TOM's fakebroker.py).")

    @Option(help: "Bootstrap servers of the alert stream, by default KAFKA_SERVER or localhost:9092.") var source = KafkaClientOptions.defaultServer
    @Option(
        name: [.customShort("t"), .customLong("source-topics")], parsing: .upToNextOption,
        help: "Alert topics to consume; topics that do not exist yet are picked up when they appear.")
    var sourceTopics: [String]
    @Option(name: [.customShort("g"), .customLong("group-id")], help: "Consumer group.") var groupId = "fakebroker"
    @Flag(name: [.customShort("r"), .customLong("reset")], help: "Start from the beginning of the source topics.") var reset = false
    @Option(help: "Bootstrap servers for the classifications (default: --source).") var dest: String?
    @Option(name: [.customShort("u"), .customLong("dest-topic")], help: "Topic for the classifications.") var destTopic: String
    @Option(name: [.customShort("s"), .customLong("alert-schema")], help: "Alert schema file (must match the bundled v0_9_1 alert).") var alertSchema:
        String?
    @Option(name: [.customShort("b"), .customLong("brokermessage-schema")], help: "brokerClassification schema file (must match the bundled one).")
    var brokermessageSchema: String?
    @Option(
        help: "Broker name the answers carry (default: each classifier's own, FakeBroker); instances with names of their own play several brokers.")
    var brokerName: String?
    @Option(help: "Seed that makes the probabilities reproducible.") var seed: UInt64?
    @Option(parsing: .upToNextOption, help: "Classifiers to run (default: all: \(Classifiers.all.map(\.classifierName).joined(separator: ", "))).")
    var classifiers: [String] = []
    @Option(help: "Seconds between progress log lines.") var logInterval: Double = 10
    @Option(help: "Alerts per batch.") var batchSize = 5000
    @Option(
        help: ArgumentHelp(
            "How many fake-broker instances share the consumer group. 1: this is the only one, so it takes every partition of the source topics itself (no group join, seconds faster to start); leave it out to share the partitions through the group.",
            valueName: "n"))
    var instances: Int?
    @OptionGroup var readiness: ReadinessOptions
    @OptionGroup var monitoring: MonitoringOptions
    @OptionGroup var kafka: KafkaClientOptions
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard !sourceTopics.isEmpty else { throw ValidationError("Give at least one source topic with -t/--source-topics.") }
        do {
            if let alertSchema { try ElasticcSchemas.verifyOverride(path: alertSchema, matches: .alert) }
            if let brokermessageSchema { try ElasticcSchemas.verifyOverride(path: brokermessageSchema, matches: .brokerClassification) }
            _ = try Classifiers.named(classifiers)
        } catch {
            throw ValidationError("\(error)")
        }
        if let brokerName, brokerName.isEmpty || brokerName.contains("\0") {
            throw ValidationError("--broker-name must be a non-empty name without NUL.")
        }
        guard batchSize > 0, logInterval > 0 else { throw ValidationError("--batch-size and --log-interval must be positive.") }
        guard (instances ?? 1) >= 1 else { throw ValidationError("--instances must be at least 1.") }
    }

    func run() async throws {
        ParseOnly.exitIfRequested()
        HeapTuning.apply()
        let logger = logging.bootstrap(label: "fake-broker")
        MonitoringServer.bootstrap()
        let chosen = classifiers.isEmpty ? Classifiers.all : try Classifiers.named(classifiers)
        let consumerConfiguration = try kafka.configuration(servers: source, clientId: "fake-broker")
        let producerConfiguration = try kafka.configuration(servers: dest ?? source, clientId: "fake-broker")
        KafkaConfigurationCheck.exitIfRequested([("consumer", consumerConfiguration, true), ("producer", producerConfiguration, false)])
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, groupId: groupId, startAtBeginning: reset, logger: logger)
        let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
        let broker = FakeBroker(
            settings: .init(
                sourceTopics: sourceTopics, destinationTopic: destTopic, classifiers: chosen, brokerName: brokerName, seed: seed,
                batchSize: batchSize, logInterval: .milliseconds(Int(logInterval * 1000)), alone: instances == 1, fromBeginning: reset),
            consumer: consumer, producer: producer, logger: logger)
        logger.info("fake-broker started", metadata: ["kafka.topics": "\(sourceTopics.joined(separator: ","))", "kafka.destination": "\(destTopic)"])
        let ready = readiness.signal()
        let monitor = monitoring.address.map { address in
            MonitoringServer.service(
                listen: address, readiness: { MonitoringServer.Readiness([broker.readiness]) }, liveness: monitoring.liveness { broker.lastProgress },
                logger: logger)
        }
        try await ToolServices.run(alongside: monitor.map { [$0] } ?? [], logger: logger) {
            try await broker.run(onReady: ready)
        }
        let counts = broker.counts
        logger.info(
            "fake-broker stopped",
            metadata: ["alerts.in": "\(counts.alertsIn)", "messages.out": "\(counts.messagesOut)", "alerts.bad": "\(counts.badAlerts)"])
    }
}
