import AvroSchemas
import Foundation
import Kafka
import TestSupport
import Testing

@Suite("Interop with Python's confluent-kafka and fastavro")
struct ConfluentKafkaInteropTests {
    let logger = KafkaTestCluster.logger

    @Test("confluent-kafka produces fastavro brokerClassifications; we consume and decode them")
    func theirProducerOurConsumer() async throws {
        let topic = KafkaTestCluster.uniqueName("py-produced")
        let output = try await TestEnvironment.runPython(
            script: "kafka_peer.py",
            arguments: [
                "produce", KafkaTestCluster.shared.bootstrapServers, topic, "120",
                try TestEnvironment.reference("schema/elasticc.v0_9_1.brokerClassification.avsc").path,
            ],
            input: "")
        #expect(output.contains("\"undelivered\": 0"))

        let consumer = try KafkaConsumer(configuration: KafkaTestCluster.configuration, groupId: KafkaTestCluster.uniqueName("g"), logger: logger)
        try consumer.subscribe([topic])
        let messages = try await KafkaTestCluster.consume(consumer, count: 120)
        try #require(messages.count == 120)
        for message in messages {
            let decoded = try AvroCodec.decodeFramed(BrokerClassification.self, from: message.value!)
            #expect(decoded.framing == .schemaless)
            let record = decoded.record
            let index = Int(record.alertId - 1_000_000)
            #expect(message.key == Array("\(record.alertId)".utf8))
            #expect(record.diaSourceId == 2_000_000 + Int64(index))
            #expect(record.elasticcPublishTimestamp == 1_700_000_000_000 + Int64(index))
            #expect(record.brokerIngestTimestamp == (index % 3 == 0 ? nil : 1_700_000_001_000 + Int64(index)))
            #expect(record.classifierName == "classifier-\(index % 2)")
            #expect(record.classifierParams == "ünïcode")
            #expect(record.classifications.map(\.classId) == (0..<(index % 5)).map { 2222 + Int32($0) })
            #expect(record.classifications.map(\.probability) == (0..<(index % 5)).map { Float(1.0 / Double($0 + 1)) })
        }
        await consumer.close()
    }

    @Test("We produce alerts; confluent-kafka consumes them and fastavro decodes them")
    func ourProducerTheirConsumer() async throws {
        let topic = KafkaTestCluster.uniqueName("swift-produced")
        var generator = RecordGenerator(seed: 42)
        let alerts = (0..<80).map { index -> Alert in
            var alert = generator.alert()
            alert.alertId = Int64(index)
            alert.diaSource.filterName = ["u", "g", "r", "i", "z", "Y"][index % 6]
            return alert
        }
        let producer = try KafkaProducer(configuration: KafkaTestCluster.configuration, logger: logger)
        let results = await producer.send(
            alerts.map {
                KafkaOutgoingMessage(topic: topic, key: Array("\($0.alertId)".utf8), value: AvroCodec.encode($0))
            })
        #expect(results.allSatisfy { (try? $0.get()) != nil })

        let output = try await TestEnvironment.runPython(
            script: "kafka_peer.py",
            arguments: [
                "consume", KafkaTestCluster.shared.bootstrapServers, topic, "80",
                try TestEnvironment.reference("schema/elasticc.v0_9_1.alert.avsc").path, KafkaTestCluster.uniqueName("pyg"),
            ],
            input: "")
        let lines = output.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        try #require(lines.count == 80)
        let byId = Dictionary(uniqueKeysWithValues: lines.map { (($0["alertId"] as! NSNumber).int64Value, $0) })
        for alert in alerts {
            let line = try #require(byId[alert.alertId])
            #expect(line["key"] as? String == "\(alert.alertId)")
            #expect(line["filterName"] as? String == alert.diaSource.filterName)
            #expect((line["prvDiaForcedSources"] as? NSNumber)?.intValue == alert.prvDiaForcedSources?.count)
        }
    }
}
