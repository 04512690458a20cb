import AvroSchemas
import Foundation
import Kafka
import Synchronization
import TestSupport
import Testing

@Suite("Kafka client against librdkafka's mock cluster")
struct KafkaClientTests {
    let logger = KafkaTestCluster.logger

    func makeProducer() throws -> KafkaProducer {
        try KafkaProducer(configuration: KafkaTestCluster.configuration, logger: logger)
    }

    func makeConsumer(group: String, sessionTimeout: Duration? = nil, handler: KafkaConsumer.RebalanceHandler? = nil) throws -> KafkaConsumer {
        var configuration = KafkaTestCluster.configuration
        if let sessionTimeout { configuration.properties["session.timeout.ms"] = String(sessionTimeout.components.seconds * 1000) }
        return try KafkaConsumer(configuration: configuration, groupId: group, logger: logger, rebalanceHandler: handler)
    }

    @Test("Produce then consume in a group: key, value, headers and timestamp survive")
    func roundTrip() async throws {
        let topic = KafkaTestCluster.uniqueName("roundtrip")
        let producer = try makeProducer()
        let messages = (0..<200).map { index in
            KafkaOutgoingMessage(
                topic: topic, key: Array("object-\(index % 7)".utf8), value: Array("value-\(index)".utf8),
                headers: [KafkaHeader(name: "index", value: Array("\(index)".utf8)), KafkaHeader(name: "empty", value: nil)],
                timestamp: 1_700_000_000_000 + Int64(index))
        }
        let reports = await producer.send(messages)
        let delivered = try reports.map { try $0.get() }
        #expect(delivered.allSatisfy { $0.topic == topic && $0.offset >= 0 })

        let consumer = try makeConsumer(group: KafkaTestCluster.uniqueName("group"))
        try consumer.subscribe([topic])
        let received = try await KafkaTestCluster.consume(consumer, count: 200)
        try #require(received.count == 200)
        for message in received {
            let index = Int(String(decoding: message.value!, as: UTF8.self).dropFirst("value-".count))!
            #expect(message.key == Array("object-\(index % 7)".utf8))
            #expect(message.headers == messages[index].headers)
            #expect(message.timestamp == 1_700_000_000_000 + Int64(index))
            #expect(message.timestampType == .createTime)
            #expect(message.partition == delivered[index].partition && message.offset == delivered[index].offset)
        }
        // One key, one partition, in production order.
        let byKey = Dictionary(grouping: received) { $0.key! }
        for (_, group) in byKey {
            #expect(Set(group.map(\.partition)).count == 1)
            #expect(group.map(\.offset) == group.map(\.offset).sorted())
        }
        await consumer.close()
    }

    @Test("A new member resumes at the group's committed offset")
    func resumeAtCommittedOffset() async throws {
        let topic = KafkaTestCluster.uniqueName("resume")
        try KafkaTestCluster.shared.createTopic(topic, partitions: 1)
        let group = KafkaTestCluster.uniqueName("group")
        let reports = try await makeProducer().send((0..<10).map { KafkaOutgoingMessage(topic: topic, value: [UInt8($0)]) })
        #expect(reports.allSatisfy { (try? $0.get()) != nil })

        let first = try makeConsumer(group: group)
        try first.subscribe([topic])
        let all = try await KafkaTestCluster.consume(first, count: 10)
        try #require(all.count == 10)
        try await first.commit(KafkaConsumer.offsetsToCommit(after: Array(all.prefix(6))))
        #expect(
            try await first.committedOffsets(for: [KafkaTopicPartition(topic: topic, partition: 0)])[KafkaTopicPartition(topic: topic, partition: 0)]
                == 6)
        await first.close()

        let second = try makeConsumer(group: group)
        try second.subscribe([topic])
        let rest = try await KafkaTestCluster.consume(second, count: 4)
        #expect(rest.map(\.offset) == [6, 7, 8, 9])
        #expect(rest.map { $0.value! } == [[6], [7], [8], [9]])
        await second.close()
    }

    @Test("Two members of one group split the partitions and see each message once")
    func groupSplitsPartitions() async throws {
        let topic = KafkaTestCluster.uniqueName("split")
        try KafkaTestCluster.shared.createTopic(topic, partitions: 6)
        let group = KafkaTestCluster.uniqueName("group")
        // The mock coordinator waits up to a session (less a second) for members to rejoin and a
        // session for them to sync, so each failed round of a join costs about a session: 10 s
        // lets a loaded machine (the whole suite runs at once) retry many rounds within the
        // deadline.
        let one = try makeConsumer(group: group, sessionTimeout: .seconds(10))
        let two = try makeConsumer(group: group, sessionTimeout: .seconds(10))
        try one.subscribe([topic])
        try two.subscribe([topic])

        var received: [KafkaMessage] = []
        let clock = ContinuousClock()
        let end = clock.now + .seconds(150)
        while clock.now < end, !(one.assignment.count + two.assignment.count == 6 && !one.assignment.isEmpty && !two.assignment.isEmpty) {
            received += try await one.poll(maxMessages: 100, timeout: .milliseconds(100))
            received += try await two.poll(maxMessages: 100, timeout: .milliseconds(100))
        }
        #expect(one.assignment.isDisjoint(with: two.assignment))
        #expect(one.assignment.union(two.assignment).count == 6)

        let reports = try await makeProducer().send(
            (0..<300).map { KafkaOutgoingMessage(topic: topic, key: Array("k\($0)".utf8), value: Array("\($0)".utf8)) })
        #expect(reports.allSatisfy { (try? $0.get()) != nil })
        var fromOne: [KafkaMessage] = []
        var fromTwo: [KafkaMessage] = []
        while clock.now < end + .seconds(30), fromOne.count + fromTwo.count < 300 {
            fromOne += try await one.poll(maxMessages: 300, timeout: .milliseconds(100))
            fromTwo += try await two.poll(maxMessages: 300, timeout: .milliseconds(100))
        }
        #expect(received.isEmpty)
        #expect(fromOne.count + fromTwo.count == 300)
        #expect(!fromOne.isEmpty && !fromTwo.isEmpty)
        #expect(Set((fromOne + fromTwo).map { $0.value! }).count == 300)
        #expect(fromOne.allSatisfy { one.assignment.contains(KafkaTopicPartition(topic: $0.topic, partition: $0.partition)) })
        #expect(fromTwo.allSatisfy { two.assignment.contains(KafkaTopicPartition(topic: $0.topic, partition: $0.partition)) })
        await one.close()
        await two.close()
    }

    @Test("The rebalance handler chooses where assigned partitions start")
    func rebalanceHandlerSetsStartOffsets() async throws {
        let topic = KafkaTestCluster.uniqueName("seek")
        try KafkaTestCluster.shared.createTopic(topic, partitions: 1)
        _ = try await makeProducer().send((0..<10).map { KafkaOutgoingMessage(topic: topic, value: [UInt8($0)]) })
        let events = LockedEvents()
        let consumer = try makeConsumer(group: KafkaTestCluster.uniqueName("group")) { rebalance in
            events.append(rebalance)
            if case .assigned(let partitions) = rebalance {
                return Dictionary(uniqueKeysWithValues: partitions.map { ($0, KafkaStartOffset.offset(7)) })
            }
            return [:]
        }
        try consumer.subscribe([topic])
        let received = try await KafkaTestCluster.consume(consumer, count: 3)
        #expect(received.map(\.offset) == [7, 8, 9])
        try await consumer.resetToBeginning()
        let again = try await KafkaTestCluster.consume(consumer, count: 10)
        #expect(again.map(\.offset) == Array(0..<10))
        await consumer.close()
        #expect(events.count >= 2)  // assigned, then revoked on close
    }

    @Test("A message over the size limit fails with an error")
    func oversizedMessageFails() async throws {
        let topic = KafkaTestCluster.uniqueName("oversized")
        let results = try await makeProducer().send([KafkaOutgoingMessage(topic: topic, value: [UInt8](repeating: 1, count: 2_000_000))])
        #expect(throws: KafkaError.self) { try results[0].get() }
        if case .failure(let error) = results[0] { #expect(error.name == "MSG_SIZE_TOO_LARGE") }
    }

    @Test("A delivery the cluster refuses surfaces as an error")
    func refusedDeliveryFails() async throws {
        let cluster = try MockCluster(brokers: 1, logger: logger)
        let topic = KafkaTestCluster.uniqueName("refused")
        try cluster.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(
            configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers, properties: ["message.timeout.ms": "3000"]),
            logger: logger)
        cluster.pushRequestErrors(.produce, errorCodes: Array(repeating: 29, count: 50))  // TOPIC_AUTHORIZATION_FAILED
        let results = await producer.send([KafkaOutgoingMessage(topic: topic, value: [1, 2, 3])])
        #expect(throws: KafkaError.self) { try results[0].get() }
        cluster.clearRequestErrors(.produce)
    }

    @Test("Topics are listed with their partitions, and watermarks follow production")
    func metadataAndWatermarks() async throws {
        let topic = KafkaTestCluster.uniqueName("meta")
        try KafkaTestCluster.shared.createTopic(topic, partitions: 12)
        let producer = try makeProducer()
        #expect(try await producer.topics().first { $0.name == topic }?.partitionCount == 12)
        _ = await producer.send((0..<5).map { _ in KafkaOutgoingMessage(topic: topic, value: [0], partition: 3) })
        let consumer = try makeConsumer(group: KafkaTestCluster.uniqueName("group"))
        #expect(try await consumer.watermarks(topic: topic, partition: 3) == KafkaWatermarks(low: 0, high: 5))
        await consumer.close()
    }

    @Test("Admin topic creation reports a cluster without a controller as a timeout, not a hang")
    func adminWithoutController() async throws {
        // librdkafka 2.0's mock cluster has no controller, so CreateTopics cannot succeed on it.
        let admin = try KafkaAdmin(configuration: KafkaTestCluster.configuration, logger: logger)
        let error = await #expect(throws: KafkaError.self) {
            try await admin.createTopic(KafkaTestCluster.uniqueName("admin"), partitions: 3, timeout: .seconds(2))
        }
        #expect(error?.code == KafkaError.timedOutCode)
    }

    @Test("A bad property is an error that names it; secrets stay out of descriptions")
    func configurationErrors() throws {
        var configuration = KafkaTestCluster.configuration
        configuration.properties["no.such.property"] = "1"
        let error = #expect(throws: KafkaError.self) { try KafkaProducer(configuration: configuration, logger: logger) }
        #expect(error?.message.contains("no.such.property") == true)

        let secure = KafkaConfiguration(
            bootstrapServers: "kafka.example:9093",
            security: .saslSSL(mechanism: .scramSHA512, username: "alice", password: "s3cret-pw", caFile: nil))
        #expect(!secure.description.contains("s3cret-pw"))
        #expect(secure.description.contains("SCRAM-SHA-512"))
        // librdkafka accepts the SASL settings (it only connects lazily).
        _ = try KafkaProducer(configuration: secure, logger: logger)
    }
}

final class LockedEvents: Sendable {
    private let events = Mutex<[KafkaRebalance]>([])
    func append(_ event: KafkaRebalance) { events.withLock { $0.append(event) } }
    var count: Int { events.withLock { $0.count } }
}
