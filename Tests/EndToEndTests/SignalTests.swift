import Foundation
import Kafka
import TestSupport
import Testing

/// The long-running tools under their supervisors' signals: each finishes what it holds and
/// exits 0 (a non-zero exit would make systemd or compose report a failure, and restart it).
@Suite("Signals stop the long-running tools cleanly", .serialized)
struct SignalTests {
    @Test("broker-poll stops on SIGUSR1 (the TOM's signal), fake-broker on SIGINT, kafka-mock on SIGTERM; each exits 0")
    func cleanStops() async throws {
        let stack = try ProcessStack(databaseURL: try PostgresTestServer.shared.makeDatabase("signals"))
        #expect(try stack.run("ppdb", ["migrate"]).status == 0)
        let alerts = KafkaTestCluster.uniqueName("signals-alerts")
        let classifications = KafkaTestCluster.uniqueName("signals-classifications")
        // Consumers are assigned partitions only of topics that exist.
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: stack.bootstrap), logger: KafkaTestCluster.logger)
        let created = await producer.send([alerts, classifications].map { KafkaOutgoingMessage(topic: $0, key: nil, value: [0]) })
        #expect(created.allSatisfy { (try? $0.get()) != nil })

        try await stack.startService("broker-poll", ["--server", stack.bootstrap, "--topic", classifications, "--group-id", "signals-bp"])
        try await stack.startService("fake-broker", ["--source", stack.bootstrap, "-t", alerts, "-u", classifications, "-g", "signals-fb"])
        for (process, signal) in [(stack.services[0], SIGUSR1), (stack.services[1], SIGINT), (stack.kafka, SIGTERM)] {
            kill(process.processIdentifier, signal)
            try await TestEnvironment.waitUntil(timeout: .seconds(30), "exit after signal \(signal)") { !process.isRunning }
            process.waitUntilExit()
            #expect(process.terminationReason == .exit, "signal \(signal) ended the process instead of stopping it")
            #expect(process.terminationStatus == 0, "exit status after signal \(signal)")
        }
    }
}
