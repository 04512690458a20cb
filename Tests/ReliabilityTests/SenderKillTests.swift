import AvroSchemas
import Foundation
import Kafka
import Logging
import PPDBLoading
import Postgres
import TOMDatabase
import TestSupport
import Testing

@Suite("alert-sender killed mid-run", .serialized)
struct SenderKillTests {
    let logger = KafkaTestCluster.logger

    @Test("SIGKILL mid-send, then a rerun: every alert delivered, none marked unacknowledged, duplicates bounded by what was in flight")
    func killedAndRerun() async throws {
        let cluster = try MockCluster(brokers: 1, logger: logger)
        let topics = ["kill-wfd", "kill-ddf-full", "kill-ddf-limited"]
        for topic in topics { try cluster.createTopic(topic, partitions: 64) }
        let url = try PostgresTestServer.shared.makeDatabase("senderkill")
        let connection = try PostgresConnection(url)
        _ = try Migrator.migrate(connection, logger: logger)
        _ = try SynthLoader(settings: .init(objects: 1500, seed: 9, ddfFraction: 0), conninfo: url, logger: logger).run()
        let total = try await connection.query("SELECT count(*) FROM elasticc2_ppdbalert", statement: "alerts").value(0, 0, as: Int64.self)
        let marked = {
            try connection.query("SELECT count(*) FROM elasticc2_ppdbalert WHERE alertsenttimestamp IS NOT NULL", statement: "marked").value(
                0, 0, as: Int64.self)
        }
        let batch = 300

        func sender(_ extra: [String]) throws -> Process {
            let process = TestEnvironment.launch(
                [
                    TestEnvironment.executable("alert-sender"),
                    "-d", "99999", "-k", cluster.bootstrapServers, "--do", "--db", url, "-f", String(batch),
                    "--wfd-topic", topics[0], "--ddf-full-topic", topics[1], "--ddf-limited-topic", topics[2],
                    "--log-level", "warning",
                ] + extra)
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            return process
        }

        let first = try sender(["--rate", "800"])  // about 12 s: the kill lands mid-run even on a loaded machine
        try TestEnvironment.waitUntilBlocking(timeout: .seconds(60), "a fifth sent") { try marked() >= total / 5 }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let markedAtKill = try marked()
        #expect(first.terminationReason == .uncaughtSignal && markedAtKill < total)

        // Every alert marked so far must be on the topic: nothing marked that Kafka did not take.
        let second = try sender([])
        second.waitUntilExit()
        #expect(second.terminationStatus == 0)
        #expect(try marked() == total)

        let consumer = try KafkaConsumer(
            configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers),
            groupId: "kill-check", logger: logger)
        try consumer.subscribe([topics[0]])
        var seen: [Int64: Int] = [:]
        var messages = 0
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(90)
        while seen.count < Int(total), clock.now < deadline {
            for message in try await consumer.poll(maxMessages: 10_000, timeout: .milliseconds(200)) {
                seen[try AvroCodec.decode(Alert.self, from: message.value ?? []).alertId, default: 0] += 1
                messages += 1
            }
        }
        // Drain what else is there, so duplicates are counted too.
        while case let more = try await consumer.poll(maxMessages: 10_000, timeout: .milliseconds(500)), !more.isEmpty {
            for message in more {
                seen[try AvroCodec.decode(Alert.self, from: message.value ?? []).alertId, default: 0] += 1
                messages += 1
            }
        }
        let duplicates = messages - seen.count
        print(
            "fault: alert-sender killed with SIGKILL after \(markedAtKill) of \(total) alerts were marked; rerun; \(seen.count) distinct alerts on the topic, \(messages) messages, \(duplicates) duplicates, 0 lost"
        )
        #expect(seen.count == Int(total))
        #expect(duplicates <= 3 * batch, "duplicates bounded by the batches in flight at the kill")
    }
}
