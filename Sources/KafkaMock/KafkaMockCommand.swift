import ArgumentParser
import Foundation
import Kafka
import Logging
import ServiceLifecycle
import ServiceSupport

@main
struct KafkaMockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-mock",
        abstract: "Run librdkafka's mock Kafka cluster on 127.0.0.1 for development and tests.",
        discussion: """
            Prints the bootstrap address as the first line on stdout, then serves until SIGTERM or \
            SIGINT. Topics named with --topic are created with --partitions partitions; topics that \
            clients create implicitly get librdkafka's fixed 4 partitions. SIGUSR1 takes every broker \
            down (connections drop, new ones fail), SIGUSR2 brings them up again, each acknowledged by \
            a line on stdout: faults for tests, in a process of their own.
            """)

    @Option(help: "Number of mock brokers.")
    var brokers: Int = 1

    @Option(help: "Partitions for each topic named with --topic.")
    var partitions: Int = 4

    @Option(name: .customLong("topic"), help: "A topic to create at start (repeatable); NAME:N gives it N partitions.")
    var topics: [String] = []

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard brokers >= 1 else { throw ValidationError("--brokers must be at least 1.") }
        guard partitions >= 1 else { throw ValidationError("--partitions must be at least 1.") }
    }

    func run() async throws {
        ParseOnly.exitIfRequested()
        let logger = logging.bootstrap(label: "kafka-mock")
        let cluster = try MockCluster(brokers: brokers, logger: logger)
        for topic in topics {
            let parts = topic.split(separator: ":", maxSplits: 1)
            guard let name = parts.first, parts.count == 1 || Int(parts[1]).map({ $0 >= 1 }) == true else {
                throw ValidationError("--topic \(topic): expected NAME or NAME:PARTITIONS with PARTITIONS at least 1.")
            }
            try cluster.createTopic(String(name), partitions: parts.count == 2 ? Int(parts[1])! : partitions)
        }
        // A broker brought up again listens anew on its old port, and librdkafka aborts the whole
        // process when another connection took that port meanwhile: faults are injected here,
        // where that abort ends only the mock, not a test process with every other test in it.
        let brokerCount = brokers
        let faults = [(SIGUSR1, true), (SIGUSR2, false)].map { signalNumber, down in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                for broker in 1...Int32(brokerCount) {
                    do {
                        if down { try cluster.setBrokerDown(broker) } else { try cluster.setBrokerUp(broker) }
                    } catch {
                        logger.error("Could not change a broker", metadata: ["broker": "\(broker)", "error": "\(error)"])
                    }
                }
                FileHandle.standardOutput.write(Data((down ? "brokers down\n" : "brokers up\n").utf8))
            }
            source.resume()
            return source
        }
        defer { for fault in faults { fault.cancel() } }
        FileHandle.standardOutput.write(Data((cluster.bootstrapServers + "\n").utf8))
        logger.info("Mock Kafka cluster serving", metadata: ["kafka.bootstrap": "\(cluster.bootstrapServers)", "kafka.brokers": "\(brokers)"])
        try await ToolServices.run(logger: logger) { try? await gracefulShutdown() }
        logger.info("Stopping mock Kafka cluster")
        withExtendedLifetime(cluster) {}
    }
}
