import Foundation
import Kafka
import Logging

/// One in-process mock cluster shared by the Kafka tests; each test uses its own topics and groups.
public enum KafkaTestCluster {
    public static let logger: Logger = {
        var logger = Logger(label: "kafka-tests")
        logger.logLevel = ProcessInfo.processInfo.environment["KAFKA_TEST_DEBUG"] == nil ? .warning : .debug
        return logger
    }()

    public static let shared: MockCluster = try! MockCluster(brokers: 3, logger: logger)

    public static var configuration: KafkaConfiguration {
        // The mock cluster ignores LeaveGroup and waits out a departed member's session, so
        // short sessions keep group hand-overs quick.
        var configuration = KafkaConfiguration(
            bootstrapServers: shared.bootstrapServers,
            properties: ["session.timeout.ms": "3000", "heartbeat.interval.ms": "500"])
        if let debug = ProcessInfo.processInfo.environment["KAFKA_TEST_DEBUG"] { configuration.properties["debug"] = debug }
        return configuration
    }

    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Polls until `count` messages arrived or `deadline` passed (a bound, not a sleep).
    public static func consume(_ consumer: KafkaConsumer, count: Int, within deadline: Duration = .seconds(30)) async throws -> [KafkaMessage] {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        var messages: [KafkaMessage] = []
        while messages.count < count, clock.now < end {
            messages += try await consumer.poll(maxMessages: count - messages.count, timeout: .milliseconds(200))
        }
        return messages
    }

    /// Messages on a topic, counted from its watermarks (independent of any consumer group).
    public static func messageCount(_ topic: String, bootstrap: String = shared.bootstrapServers) async throws -> Int {
        let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: bootstrap), groupId: uniqueName("count"), logger: logger)
        guard let metadata = try await consumer.topics().first(where: { $0.name == topic }) else { return 0 }
        var total = 0
        for partition in 0..<metadata.partitionCount {
            let marks = try await consumer.watermarks(topic: topic, partition: Int32(partition))
            total += Int(marks.high - marks.low)
        }
        return total
    }
}
