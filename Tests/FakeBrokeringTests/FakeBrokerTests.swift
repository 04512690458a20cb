import AvroSchemas
import FakeBrokering
import Foundation
import Kafka
import TestSupport
import Testing

@Suite("fake-broker against the mock cluster", .serialized)
struct FakeBrokerTests {
    let logger = KafkaTestCluster.logger

    static func alert(_ id: Int64) -> Alert {
        Alert(
            alertId: id,
            diaSource: DiaSource(
                diaSourceId: id + 7, diaObjectId: id / 3, midPointTai: 60000 + Double(id), filterName: "g",
                ra: 10, decl: -5, psFlux: 100, psFluxErr: 10, snr: 10),
            prvDiaSources: [], prvDiaForcedSources: [], diaObject: nil)
    }

    /// Produces alerts with known Kafka timestamps (publish time = 1_700_000_000_000 + id).
    func produceAlerts(_ ids: Range<Int64>, to topic: String, garbage: Int = 0) async throws {
        let producer = try KafkaProducer(configuration: KafkaTestCluster.configuration, logger: logger)
        var messages = ids.map { id in
            KafkaOutgoingMessage(topic: topic, value: AvroCodec.encode(Self.alert(id)), timestamp: 1_700_000_000_000 + id)
        }
        for index in 0..<garbage {
            messages.insert(KafkaOutgoingMessage(topic: topic, value: [0xFF, 0x01, UInt8(index)]), at: min(index * 7, messages.count))
        }
        let results = await producer.send(messages)
        #expect(results.allSatisfy { (try? $0.get()) != nil })
    }

    func makeBroker(
        topics: [String], destination: String, group: String, seed: UInt64? = 11, reset: Bool = false, alone: Bool = false
    ) throws -> FakeBroker {
        FakeBroker(
            settings: .init(sourceTopics: topics, destinationTopic: destination, seed: seed, batchSize: 500, alone: alone, fromBeginning: reset),
            consumer: try KafkaConsumer(configuration: KafkaTestCluster.configuration, groupId: group, startAtBeginning: reset, logger: logger),
            producer: try KafkaProducer(configuration: KafkaTestCluster.configuration, logger: logger),
            logger: logger)
    }

    /// Classification messages on `topic`, decoded by fastavro under the reference schema.
    func classifications(on topic: String, count: Int) throws -> [[String: Any]] {
        let output = try TestEnvironment.runPython(
            script: "kafka_peer.py",
            arguments: [
                "classifications", KafkaTestCluster.shared.bootstrapServers, topic, String(count),
                try TestEnvironment.reference("schema/elasticc.v0_9_1.brokerClassification.avsc").path, KafkaTestCluster.uniqueName("py"),
            ],
            input: "")
        return output.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    @Test("Every alert gets one message per classifier that fastavro reads; bad bytes are skipped")
    func answersEveryAlert() async throws {
        let source = KafkaTestCluster.uniqueName("alerts")
        let destination = KafkaTestCluster.uniqueName("classifications")
        try await produceAlerts(0..<400, to: source, garbage: 5)
        let broker = try makeBroker(topics: [source], destination: destination, group: KafkaTestCluster.uniqueName("fb"))
        try await TestEnvironment.runUntil {
            broker.counts.alertsIn + broker.counts.badAlerts >= 405
        } work: {
            try await broker.run()
        }
        #expect(broker.counts == FakeBroker.Counters(alertsIn: 400, messagesOut: 800, badAlerts: 5))

        let messages = try classifications(on: destination, count: 800)
        #expect(messages.count == 800)
        let byClassifier = Dictionary(grouping: messages) { $0["classifierName"] as! String }
        #expect(byClassifier["NugentClassifier"]?.count == 400)
        #expect(byClassifier["RandomSNType"]?.count == 400)
        for message in messages {
            let alertId = (message["alertId"] as! NSNumber).int64Value
            #expect((message["diaSourceId"] as! NSNumber).int64Value == alertId + 7)
            #expect((message["elasticcPublishTimestamp"] as! NSNumber).int64Value == 1_700_000_000_000 + alertId)
            #expect(message["brokerName"] as? String == "FakeBroker" && message["brokerVersion"] as? String == "v1.0")
            let probabilities = (message["probabilities"] as! [NSNumber]).map(\.doubleValue)
            #expect(abs(probabilities.reduce(0, +) - 1) < 1e-5)
            #expect(probabilities.count == (message["classifierName"] as! String == "NugentClassifier" ? 1 : 20))
        }
        #expect(Set(messages.map { ($0["alertId"] as! NSNumber).int64Value }) == Set(0..<400))
    }

    @Test("--broker-name: each instance answers as a broker of its own, with the classifiers it was given")
    func brokerName() async throws {
        let source = KafkaTestCluster.uniqueName("alerts")
        let destination = KafkaTestCluster.uniqueName("classifications")
        try await produceAlerts(0..<50, to: source)
        let broker = FakeBroker(
            settings: .init(
                sourceTopics: [source], destinationTopic: destination, classifiers: try Classifiers.named(["NugentClassifier"]),
                brokerName: "Broker Two", seed: 3, batchSize: 20),
            consumer: try KafkaConsumer(
                configuration: KafkaTestCluster.configuration, groupId: KafkaTestCluster.uniqueName("fb"), logger: logger),
            producer: try KafkaProducer(configuration: KafkaTestCluster.configuration, logger: logger),
            logger: logger)
        try await TestEnvironment.runUntil {
            broker.counts.alertsIn >= 50
        } work: {
            try await broker.run()
        }
        let messages = try classifications(on: destination, count: 50)
        #expect(messages.count == 50)
        #expect(messages.allSatisfy { $0["brokerName"] as? String == "Broker Two" && $0["classifierName"] as? String == "NugentClassifier" })
    }

    @Test("--instances 1 takes every partition itself: each alert answered once, and a restart resumes after the committed ones")
    func aloneAnswersAndResumes() async throws {
        let source = KafkaTestCluster.uniqueName("alerts")
        try KafkaTestCluster.shared.createTopic(source, partitions: 6)
        let destination = KafkaTestCluster.uniqueName("classifications")
        let group = KafkaTestCluster.uniqueName("fb")
        try await produceAlerts(0..<300, to: source)
        let first = try makeBroker(topics: [source], destination: destination, group: group, seed: 5, alone: true)
        try await TestEnvironment.runUntil {
            first.counts.alertsIn >= 300
        } work: {
            try await first.run()
        }
        #expect(first.counts.alertsIn == 300)
        #expect(first.readiness.ok && first.readiness.detail == "6 partitions assigned")
        // More alerts; a new instance of the same group answers only those.
        try await produceAlerts(300..<400, to: source)
        let second = try makeBroker(topics: [source], destination: destination, group: group, seed: 5, alone: true)
        try await TestEnvironment.runUntil {
            second.counts.alertsIn >= 100
        } work: {
            try await second.run()
        }
        #expect(second.counts.alertsIn == 100)
        let messages = try classifications(on: destination, count: 800)
        let answered = messages.map { "\(($0["alertId"] as! NSNumber).int64Value)-\($0["classifierName"]!)" }
        #expect(answered.count == 800 && Set(answered).count == 800)
        #expect(Set(messages.map { ($0["alertId"] as! NSNumber).int64Value }) == Set(0..<400))
    }

    @Test("The same seed gives the same classifications")
    func seedReproduces() async throws {
        let source = KafkaTestCluster.uniqueName("alerts")
        try await produceAlerts(0..<100, to: source)
        var answers: [[String: [Double]]] = []
        for _ in 0..<2 {
            let destination = KafkaTestCluster.uniqueName("classifications")
            let broker = try makeBroker(topics: [source], destination: destination, group: KafkaTestCluster.uniqueName("fb"), seed: 99)
            try await TestEnvironment.runUntil {
                broker.counts.alertsIn >= 100
            } work: {
                try await broker.run()
            }
            var byKey: [String: [Double]] = [:]
            for message in try classifications(on: destination, count: 200) {
                byKey["\(message["alertId"]!)-\(message["classifierName"]!)"] = (message["probabilities"] as! [NSNumber]).map(\.doubleValue)
            }
            answers.append(byKey)
        }
        #expect(answers[0].count == 200)
        #expect(answers[0] == answers[1])
    }

    @Test("-r rewinds each topic once, as the TOM's does: a topic that appears later does not rewind the others again")
    func resetOnce() async throws {
        let old = KafkaTestCluster.uniqueName("alerts")
        let late = KafkaTestCluster.uniqueName("late")
        let destination = KafkaTestCluster.uniqueName("classifications")
        let group = KafkaTestCluster.uniqueName("fb")
        try await produceAlerts(0..<50, to: old)
        // A first run answers everything and commits: without -r, a restart would answer nothing again.
        let first = try makeBroker(topics: [old], destination: destination, group: group)
        try await TestEnvironment.runUntil {
            first.counts.alertsIn >= 50
        } work: {
            try await first.run()
        }
        // With -r it answers the old topic's alerts once more, then joins the late topic, which
        // brings a rebalance that must not rewind the old topic a second time.
        let second = try makeBroker(topics: [old, late], destination: destination, group: group, reset: true)
        async let running: Void = TestEnvironment.runUntil {
            second.counts.alertsIn >= 80
        } work: {
            try await second.run()
        }
        try await TestEnvironment.waitUntil(timeout: .seconds(60), "the old topic answered again") { second.counts.alertsIn >= 50 }
        try await produceAlerts(1000..<1030, to: late)
        try await running
        #expect(second.counts.alertsIn == 80)
        let answers = try classifications(on: destination, count: 2 * (50 + 50 + 30))
        let nugent = answers.filter { $0["classifierName"] as? String == "NugentClassifier" }.map { ($0["alertId"] as! NSNumber).int64Value }
        #expect(nugent.filter { $0 < 50 }.count == 100, "each old alert answered twice: first run and one rewind")
        #expect(nugent.filter { $0 >= 1000 }.count == 30)
    }

    @Test("A source topic created after start is picked up without a restart, in a group or alone", arguments: [false, true])
    func lateTopic(alone: Bool) async throws {
        let early = KafkaTestCluster.uniqueName("early")
        let late = KafkaTestCluster.uniqueName("late")
        let destination = KafkaTestCluster.uniqueName("classifications")
        try await produceAlerts(0..<50, to: early)
        let broker = try makeBroker(topics: [early, late], destination: destination, group: KafkaTestCluster.uniqueName("fb"), alone: alone)
        async let running: Void = TestEnvironment.runUntil {
            broker.counts.alertsIn >= 110
        } work: {
            try await broker.run()
        }
        // Once the existing topic has been answered, the late topic comes into being.
        try await TestEnvironment.waitUntil { broker.counts.alertsIn >= 50 }
        #expect(broker.counts.alertsIn == 50)
        try await produceAlerts(1000..<1060, to: late)
        try await running
        #expect(broker.counts.alertsIn == 110)
    }

    /// Starts fake-broker; `ready` is the file it writes once it has partitions assigned.
    func launch(source: String, destination: String, group: String) throws -> (process: Process, ready: String) {
        let ready = FileManager.default.temporaryDirectory.appendingPathComponent("fake-broker-\(UUID().uuidString).ready").path
        let process = TestEnvironment.launch([
            TestEnvironment.executable("fake-broker"),
            "--source", KafkaTestCluster.shared.bootstrapServers, "-t", source, "-u", destination, "-g", group,
            "--batch-size", "200", "-X", "session.timeout.ms=3000", "-X", "heartbeat.interval.ms=500",
            "--ready-file", ready, "--log-level", "warning",
        ])
        try process.run()
        return (process, ready)
    }

    @Test("Killed with SIGKILL mid-stream and restarted, it leaves no alert unanswered; SIGTERM exits 0")
    func killAndRestart() async throws {
        let source = KafkaTestCluster.uniqueName("alerts")
        let destination = KafkaTestCluster.uniqueName("classifications")
        let group = KafkaTestCluster.uniqueName("fb")
        try await produceAlerts(0..<3000, to: source)
        let reader = try KafkaConsumer(configuration: KafkaTestCluster.configuration, groupId: KafkaTestCluster.uniqueName("check"), logger: logger)
        try reader.subscribe([destination])
        var answered = Set<Int64>()
        var messages = 0
        var nugentAnswers = 0
        func readAnswers() async throws {
            for message in try await reader.poll(maxMessages: 5000, timeout: .milliseconds(50)) {
                let classification = try AvroCodec.decode(BrokerClassification.self, from: message.value ?? [])
                if classification.classifierName == "NugentClassifier" {
                    answered.insert(classification.alertId)
                    nugentAnswers += 1
                }
                messages += 1
            }
        }

        let (first, _) = try launch(source: source, destination: destination, group: group)
        try await TestEnvironment.waitUntil(timeout: .seconds(60), "first answers") {
            try await readAnswers()
            return messages >= 300
        }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal)
        #expect(answered.count < 3000, "killed before the end of the stream")
        let answeredAtKill = answered.count

        let (second, secondReady) = try launch(source: source, destination: destination, group: group)
        defer { try? FileManager.default.removeItem(atPath: secondReady) }
        try await TestEnvironment.waitUntil(timeout: .seconds(90), "every alert answered") {
            try await readAnswers()
            return answered.count == 3000
        }
        #expect(answered == Set(0..<3000))
        print(
            "fault: fake-broker killed with SIGKILL after answering \(answeredAtKill) of 3000 alerts, restarted; answered \(answered.count), "
                + "lost \(3000 - answered.count), answered twice \(nugentAnswers - answered.count) (the batch in flight at the kill)")
        // A signal before its handlers are installed would kill it: stop it once it is serving.
        try await TestEnvironment.waitUntil(timeout: .seconds(60), "second instance ready") { FileManager.default.fileExists(atPath: secondReady) }
        kill(second.processIdentifier, SIGTERM)
        second.waitUntilExit()
        #expect(
            second.terminationReason == .exit && second.terminationStatus == 0, "\(second.terminationReason.rawValue) \(second.terminationStatus)")
    }
}
