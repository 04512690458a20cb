import AvroCOracle
import AvroSchemas
import Foundation
import TestSupport
import Testing

@Suite("Bundled schemas match the ELAsTiCC v0_9_1 reference")
struct SchemaContractTests {
    @Test("Parsing Canonical Form equals the reference file's", arguments: ElasticcSchemas.Name.allCases)
    func canonicalFormMatchesReference(name: ElasticcSchemas.Name) throws {
        let reference = try String(contentsOf: try TestEnvironment.reference("schema/" + name.fileName), encoding: .utf8)
        let ours = try ParsingCanonicalForm.of(json: name.jsonText)
        #expect(ours == (try ParsingCanonicalForm.of(json: reference)))
        #expect(ours.hasPrefix("{\"name\":\"elasticc.v0_9_1."))
    }

    @Test("Canonical form tells the v0_9 schemas apart from v0_9_1")
    func olderSchemaDiffers() throws {
        let older = try String(contentsOf: try TestEnvironment.reference("schema/elasticc.v0_9.alert.avsc"), encoding: .utf8)
        #expect(try ParsingCanonicalForm.of(json: older) != ParsingCanonicalForm.of(json: ElasticcSchemas.Name.alert.jsonText))
    }

    @Test("Canonical form strips docs, defaults and logical types and resolves namespaces")
    func canonicalFormRules() throws {
        let schema = """
            {"namespace": "ns", "type": "record", "name": "r", "doc": "x", "fields": [
              {"name": "a", "type": {"type": "long", "logicalType": "timestamp-millis"}, "doc": "y"},
              {"name": "b", "type": ["null", "other"], "default": null}]}
            """
        #expect(
            try ParsingCanonicalForm.of(json: schema)
                == #"{"name":"ns.r","type":"record","fields":[{"name":"a","type":"long"},{"name":"b","type":["null","ns.other"]}]}"#)
    }

    @Test("Avro C accepts the self-contained alert schema and the brokerClassification schema")
    func avroCParsesBundledSchemas() throws {
        _ = try AvroCSchema(json: ElasticcSchemas.selfContainedAlertJSON)
        _ = try AvroCSchema(json: ElasticcSchemas.brokerClassificationJSON)
    }

    @Test("Avro C rejects a broken schema with its own message")
    func avroCRejectsBrokenSchema() {
        #expect(throws: AvroCError.self) { try AvroCSchema(json: #"{"type": "record", "name": "x"}"#) }
    }

    @Test("The diaObject field list has the schema's 68 nullable floats in order")
    func diaObjectFieldNames() throws {
        let names = DiaObject.optionalFloatFieldNames
        #expect(names.count == 68)
        #expect(names.first == "mwebv")
        #expect(names.last == "hostgal2_magerr_Y")
        let canonical = try ParsingCanonicalForm.of(json: ElasticcSchemas.Name.diaObject.jsonText)
        let expected = names.map { "{\"name\":\"\($0)\",\"type\":[\"null\",\"float\"]}" }.joined(separator: ",")
        #expect(canonical.contains(expected))
    }
}
