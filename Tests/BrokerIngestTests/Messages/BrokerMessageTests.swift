import AvroSchemas
import BrokerIngest
import Postgres
import Testing

@Suite("The broker-message model")
struct BrokerMessageTests {
    @Test("A record read from Kafka gives the same record back (dead letters set aside after decoding carry it)")
    func recordRoundTrip() throws {
        let record = BrokerClassification(
            alertId: 7, diaSourceId: 8, elasticcPublishTimestamp: 1_700_000_000_123, brokerIngestTimestamp: nil, brokerName: "B",
            brokerVersion: "v", classifierName: "c", classifierParams: "p",
            classifications: [.init(classId: -32768, probability: 0.25), .init(classId: 32767, probability: -0.0)])
        let message = try BrokerMessage(validating: record)
        #expect(message.record == record)
        #expect(message.elasticcPublishTimestamp == PostgresTimestamp(millisecondsSinceEpoch: 1_700_000_000_123))
    }

    @Test("Classifier keys are equal when all four names are, whichever differs")
    func keys() {
        let key = BrokerClassifiers.Key(brokerName: "b", brokerVersion: "v", classifierName: "c", classifierParams: "p")
        #expect(key == BrokerClassifiers.Key(brokerName: "b", brokerVersion: "v", classifierName: "c", classifierParams: "p"))
        for other in [
            BrokerClassifiers.Key(brokerName: "x", brokerVersion: "v", classifierName: "c", classifierParams: "p"),
            BrokerClassifiers.Key(brokerName: "b", brokerVersion: "x", classifierName: "c", classifierParams: "p"),
            BrokerClassifiers.Key(brokerName: "b", brokerVersion: "v", classifierName: "x", classifierParams: "p"),
            BrokerClassifiers.Key(brokerName: "b", brokerVersion: "v", classifierName: "c", classifierParams: "x"),
        ] {
            #expect(key != other)
        }
    }
}
