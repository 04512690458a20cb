import ArgumentParser
import BrokerIngest
import Foundation
import HeapTuning
import Kafka
import Logging
import ServiceSupport

@main
struct BrokerPollCommand: AsyncParsableCommand {
    // Polling is the default, so the TOM's command lines work unchanged; reset-offsets is a
    // command of its own (its --server and --topic are not polling's).
    static let configuration = CommandConfiguration(
        commandName: "broker-poll",
        abstract: "Consume alert brokers' classifications into the TOM's tables, exactly once (the TOM's brokerpoll2).",
        subcommands: [Poll.self, ResetOffsets.self], defaultSubcommand: Poll.self)
}

struct Poll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Consume alert brokers' classifications into the TOM's tables, exactly once (the TOM's brokerpoll2).")

    @Option(help: "YAML file listing the brokers to poll.") var config: String?
    @Option(help: "Bootstrap servers of one broker (with --topic and --group-id; default with --topic: KAFKA_SERVER).") var server: String?
    @Option(help: "A topic of that broker (repeatable).") var topic: [String] = []
    @Option(help: "Consumer group for --server.") var groupId: String?

    @Flag(help: "TOM preset: the test broker.") var doTest = false
    @Option(help: "Topic for --do-test (the TOM's default).") var testTopic = "classifications"
    @Flag(help: "TOM preset: ANTARES.") var doAntares = false
    @Option(help: "Topic for --do-antares.") var antaresTopic: String?
    @Flag(help: "TOM preset: Fink.") var doFink = false
    @Option(help: "Topic for --do-fink.") var finkTopic: String?
    @Flag(help: "TOM preset: ALeRCE (dated lc_classifier topics).") var doAlerce = false
    @Option(help: "Regex of ALeRCE's topics for --do-alerce; its group captures the topic's date, YYYYMMDD.")
    var alerceTopicPattern = BrokerPresets.alerceTopicPattern
    @Flag(help: "TOM preset: Brahms.") var doBrahms = false
    @Option(help: "Topic for --do-brahms.") var brahmsTopic: String?
    @Flag(help: "TOM preset: Pitt-Google (Google Pub/Sub) — not supported.") var doPitt = false
    @Option(name: [.customShort("g"), .customLong("grouptag")], help: "Appended to the presets' group ids.") var grouptag: String?
    @Flag(name: [.customShort("r"), .customLong("reset")], help: "Read the topics again from the beginning.") var reset = false
    @Option(help: "Directory of the presets' credential files.") var secretsDir = "/secrets"

    @Option(help: "Seconds between statistics lines.") var statsInterval: Double = 30
    @Option(help: "Messages per batch.") var batchSize = 5000
    @Option(
        help: ArgumentHelp(
            "How many broker-poll instances share each consumer group. 1: this is the only one, so it takes every partition itself (no group join or rebalance, seconds faster to start); leave it out to scale out with the group protocol.",
            valueName: "n"))
    var instances: Int?
    @Option(
        help: ArgumentHelp(
            "Database sessions storing each broker's batches side by side (each partition always on the same one), plus one for source ids. One backend's COPY is the limit on a backlog; two run at about 1.6 times one.",
            valueName: "n"))
    var storeSessions = 2
    @Flag(help: "Print the brokers that would be polled, and exit.") var printConfig = false
    @Option(help: "Seconds a batch may still take after a stop signal before it is cancelled (rolled back; read again on restart).")
    var stopGrace: Double = 5
    @OptionGroup var readiness: ReadinessOptions
    @OptionGroup var monitoring: MonitoringOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var kafka: KafkaClientOptions
    @OptionGroup var logging: LoggingOptions

    /// `--server`, or with `--topic`, the stack's `KAFKA_SERVER`.
    var oneServer: String? { server ?? (topic.isEmpty ? nil : ProcessInfo.processInfo.environment["KAFKA_SERVER"]) }

    func validate() throws {
        if doPitt {
            throw ValidationError("--do-pitt is not supported: Pitt-Google delivers through Google Pub/Sub, not Kafka.")
        }
        guard (try? NSRegularExpression(pattern: alerceTopicPattern))?.numberOfCaptureGroups ?? 0 >= 1 else {
            throw ValidationError("--alerce-topic-pattern must be a regular expression with a group capturing the topic's date.")
        }
        if doBrahms, brahmsTopic == nil { throw ValidationError("--do-brahms needs --brahms-topic.") }
        if server != nil, topic.isEmpty || groupId == nil { throw ValidationError("--server needs --topic and --group-id.") }
        if server == nil, !topic.isEmpty, groupId == nil { throw ValidationError("--topic needs --group-id.") }
        if oneServer == nil, !topic.isEmpty { throw ValidationError("--topic goes with --server (or KAFKA_SERVER).") }
        if try sources().isEmpty {
            throw ValidationError("Nothing to poll: give --config, --server with --topic and --group-id, or a preset such as --do-fink.")
        }
        guard stopGrace >= 0 else { throw ValidationError("--stop-grace must not be negative.") }
        guard statsInterval > 0, batchSize > 0 else { throw ValidationError("--stats-interval and --batch-size must be positive.") }
        guard (1...16).contains(storeSessions) else { throw ValidationError("--store-sessions must be between 1 and 16.") }
        if let instances, instances < 1 { throw ValidationError("--instances must be at least 1.") }
    }

    func sources() throws -> [BrokerSource] {
        var sources = try config.map { try BrokerConfigFile.load(path: $0) } ?? []
        if let server = oneServer, let groupId {
            sources.append(
                BrokerSource(
                    name: "server", servers: server, topics: .names(topic), groupId: groupId,
                    security: kafka.securitySettings, reset: reset))
        }
        sources += PresetSelection(
            test: doTest ? testTopic : nil, brahms: doBrahms ? brahmsTopic : nil, antares: doAntares, antaresTopic: antaresTopic,
            fink: doFink, finkTopic: finkTopic, alerce: doAlerce, alercePattern: alerceTopicPattern, grouptag: grouptag, reset: reset,
            secretsDirectory: secretsDir
        ).sources(environment: ProcessInfo.processInfo.environment)
        // -X properties reach every broker, over the file's and the presets' own.
        let flagged = kafka.properties
        return sources.map { source in
            var source = source
            source.properties.merge(flagged) { _, flag in flag }
            return source
        }
    }

    func run() async throws {
        ParseOnly.exitIfRequested()
        HeapTuning.apply()
        let logger = logging.bootstrap(label: "broker-poll")
        MonitoringServer.bootstrap()
        let sources = try sources()
        if printConfig {
            for source in sources {
                print("\(source.name)\t\(source.servers)\t\(source.groupId)\t\(source.topics)")
            }
            return
        }
        KafkaConfigurationCheck.exitIfRequested(try sources.map { (name: $0.name, configuration: try $0.kafkaConfiguration(), consumer: true) })
        // SIGUSR1 is the TOM's stop signal for brokerpoll2.
        let service = BrokerPollService(
            sources: sources, conninfo: database.resolved.conninfo, logger: logger,
            statsInterval: .milliseconds(Int(statsInterval * 1000)), batchSize: batchSize, alone: instances == 1,
            storingSessions: storeSessions, onReady: readiness.signal())
        logger.info("broker-poll started", metadata: ["brokers": "\(sources.map(\.name).joined(separator: ","))"])
        let conninfo = database.resolved.conninfo
        let monitor = monitoring.address.map { address in
            MonitoringServer.service(
                listen: address,
                readiness: {
                    MonitoringServer.Readiness([await ReadinessChecks.database(conninfo: conninfo)] + service.brokerReadiness)
                }, liveness: monitoring.liveness { service.lastProgress }, logger: logger)
        }
        try await ToolServices.run(
            service, alongside: monitor.map { [$0] } ?? [], signals: [.sigterm, .sigint, .sigusr1],
            cancelAfter: .milliseconds(Int(stopGrace * 1000)), logger: logger)
        for poller in service.pollers {
            let stats = poller.stats
            logger.info(
                "broker-poll stopped",
                metadata: [
                    "broker": "\(poller.source.name)", "messages": "\(stats.messages)",
                    "dead.letters": "\(stats.deadLetters)",
                ])
        }
        // A refused partition's messages stay unstored in Kafka: a stop must not look like success.
        let refused = service.pollers.flatMap { poller in
            poller.refusedPartitions.keys.map { "\(poller.source.name) \($0.topic)[\($0.partition)]" }
        }.sorted()
        if !refused.isEmpty {
            logger.error(
                "broker-poll stopped with partitions refused, their messages unstored: run broker-poll reset-offsets",
                metadata: ["partitions": "\(refused.joined(separator: ", "))"])
            throw ExitCode(3)
        }
    }
}

/// The operator's one way on for a refused partition: move the stored position, logged.
struct ResetOffsets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset-offsets",
        abstract:
            "Move a consumer group's stored positions in a topic (after it was recreated, say); each move is logged in elasticcstream_offset_reset.",
        discussion: "broker-poll refuses a partition whose stored position does not fit Kafka's. Stop broker-poll, run this, start it again.")

    @Option(help: "Bootstrap servers of the broker's cluster.") var server: String
    @Option(help: "The consumer group whose positions move (the one broker-poll named).") var group: String
    @Option(help: "The topic.") var topic: String
    @Option(help: "Only this partition (default: every partition of the topic).") var partition: Int32?
    @Flag(help: "Resume at each partition's first message.") var toEarliest = false
    @Flag(help: "Resume after each partition's last message (skips what is there).") var toLatest = false
    @Option(name: .customLong("to"), help: "Resume at this offset (one partition).") var toOffset: Int64?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var kafka: KafkaClientOptions
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        let targets = [toEarliest, toLatest, toOffset != nil].filter { $0 }.count
        guard targets == 1 else { throw ValidationError("Give exactly one of --to-earliest, --to-latest, --to OFFSET.") }
        if toOffset != nil, partition == nil { throw ValidationError("--to OFFSET needs --partition.") }
    }

    func run() async throws {
        ParseOnly.exitIfRequested()
        let logger = logging.bootstrap(label: "broker-poll")
        let target: OffsetReset.Target = toEarliest ? .earliest : toLatest ? .latest : .offset(toOffset ?? 0)
        let consumer = try KafkaConsumer(
            configuration: try kafka.configuration(servers: server, clientId: "broker-poll reset-offsets"), groupId: "\(group)-reset-offsets",
            startAtBeginning: false, logger: logger)
        let moves: [OffsetReset.Move]
        do {
            moves = try await OffsetReset.reset(
                group: group, topic: topic, partition: partition, to: target, resetBy: OffsetReset.operatorName(), consumer: consumer,
                conninfo: database.resolved.conninfo)
        } catch let refused as OffsetReset.Refused {
            await consumer.close()
            throw ValidationError(refused.description)
        }
        await consumer.close()
        for move in moves {
            print(
                "\(group) \(move.partition.topic)[\(move.partition.partition)]: \(move.previous.map(String.init) ?? "none") -> \(move.new) (Kafka offsets \(move.watermarks.low)–\(move.watermarks.high))"
            )
        }
    }
}
