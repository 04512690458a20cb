import AvroCOracle
import AvroSchemas
import Foundation
import TestSupport
import Testing

/// Byte-for-byte agreement with fastavro (both directions) and with Apache Avro C.
@Suite("Codec agrees with fastavro and Apache Avro C")
struct InteropTests {
    static let alertCount = 300
    static let classificationCount = 300

    static func generatedAlerts() -> [Alert] {
        var generator = RecordGenerator(seed: 20_260_101)
        return (0..<alertCount).map { _ in generator.alert() }
    }

    static func generatedClassifications() -> [BrokerClassification] {
        var generator = RecordGenerator(seed: 7)
        return (0..<classificationCount).map { _ in generator.brokerClassification() }
    }

    func compareWithFastavro<R: AvroRecord>(_ records: [R], referenceFile: String, render: (R) -> String) throws {
        let encoded = records.map { AvroCodec.encode($0) }
        let input = zip(records, encoded).map { record, bytes in
            "{\"record\":\(render(record)),\"ours\":\"\(bytes.hex)\"}\n"
        }.joined()
        let output = try TestEnvironment.runPython(
            script: "fastavro_roundtrip.py", arguments: [try TestEnvironment.reference("schema/" + referenceFile).path], input: input)
        let lines = output.split(separator: "\n")
        try #require(lines.count == records.count)
        for (index, line) in lines.enumerated() {
            let answer = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: String]
            let fastavroBytes = try #require([UInt8](hex: answer["fastavro"]!))
            #expect(fastavroBytes == encoded[index], "record \(index): fastavro wrote different bytes")
            #expect([UInt8](hex: answer["ours_via_fastavro"]!) == encoded[index], "record \(index): fastavro misread our bytes")
            let decoded = try AvroCodec.decode(R.self, from: fastavroBytes)
            #expect(AvroCodec.encode(decoded) == fastavroBytes, "record \(index): we misread fastavro's bytes")
        }
    }

    @Test("Alerts: our bytes equal fastavro's, and each decodes the other's")
    func alertsMatchFastavro() throws {
        try compareWithFastavro(Self.generatedAlerts(), referenceFile: "elasticc.v0_9_1.alert.avsc", render: FastavroJSON.render)
    }

    @Test("brokerClassifications: our bytes equal fastavro's, and each decodes the other's")
    func classificationsMatchFastavro() throws {
        try compareWithFastavro(
            Self.generatedClassifications(), referenceFile: "elasticc.v0_9_1.brokerClassification.avsc", render: FastavroJSON.render)
    }

    @Test("Avro C reads our alerts as written and writes the same bytes back")
    func alertsMatchAvroC() throws {
        let schema = try AvroCSchema(json: ElasticcSchemas.selfContainedAlertJSON)
        for alert in Self.generatedAlerts() {
            let bytes = AvroCodec.encode(alert)
            let (value, reencoded) = try schema.decode(bytes)
            #expect(reencoded == bytes)
            guard case .long(let alertId) = value[field: "alertId"] else {
                Issue.record("no alertId")
                continue
            }
            #expect(alertId == alert.alertId)
            guard case .string(let filter) = value[field: "diaSource"]?[field: "filterName"] else {
                Issue.record("no filterName")
                continue
            }
            #expect(filter == alert.diaSource.filterName)
            if case .array(let forced) = value[field: "prvDiaForcedSources"]?.unwrapped {
                #expect(forced.count == alert.prvDiaForcedSources?.count)
            } else {
                #expect(alert.prvDiaForcedSources == nil)
            }
        }
    }

    @Test("Avro C reads our brokerClassifications as written")
    func classificationsMatchAvroC() throws {
        let schema = try AvroCSchema(json: ElasticcSchemas.brokerClassificationJSON)
        for message in Self.generatedClassifications() {
            let bytes = AvroCodec.encode(message)
            let (value, reencoded) = try schema.decode(bytes)
            #expect(reencoded == bytes)
            guard case .string(let name) = value[field: "classifierName"] else {
                Issue.record("no classifierName")
                continue
            }
            #expect(name == message.classifierName)
        }
    }
}
