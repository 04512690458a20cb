import BrokerIngest
import Foundation
import Logging
import Postgres
import TOMDatabase
import TestSupport
import Testing

@Suite("Brokers' REST push: validation and exactly-once storage as the TOM's load_batch")
struct BrokerPushTests {
    static func message(_ alertId: Int64, classIds: [Int] = [111, 112], probabilities: [Double] = [0.25, 0.75], extra: String = "") -> String {
        let classifications = zip(classIds, probabilities).map { "{\"classId\": \($0), \"probability\": \($1)}" }.joined(separator: ", ")
        return """
            {"alertId": \(alertId), "diaSourceId": \(alertId + 5), "elasticcPublishTimestamp": 1700000000123,
             "brokerIngestTimestamp": 1700000000456.789, "brokerPublishTimestamp": 1700000001000.5, "brokerName": "apiclassifier",
             "brokerVersion": "1.0", "classifierName": "AlwaysTheSame", "classifierParams": "0.5 111, 0.75 112",
             "classifications": [\(classifications)]\(extra)}
            """
    }

    func invalid(_ body: String) -> String? {
        do {
            _ = try BrokerMessagePush.parse(Data(body.utf8))
            return nil
        } catch {
            return error.description
        }
    }

    @Test("One object or a list; float milliseconds; each bad field named with its message's index")
    func validation() throws {
        let single = try BrokerMessagePush.parse(Data(Self.message(7).utf8))
        #expect(single.count == 1 && single[0].message.alertId == 7 && single[0].message.classIds == [111, 112])
        #expect(single[0].message.brokerIngestTimestamp?.microsecondsSinceEpoch == 1_700_000_000_456_789)
        #expect(single[0].brokerPublishTimestamp?.microsecondsSinceEpoch == 1_700_000_001_000_500)
        #expect(try BrokerMessagePush.parse(Data("[\(Self.message(1)), \(Self.message(2))]".utf8)).count == 2)
        #expect(invalid("{not json")?.hasPrefix("the body is not valid JSON: an object's key must be a string") == true)
        #expect(invalid("[]") == "the body is an empty list: nothing to store")
        #expect(invalid("[\(Self.message(1)), 5]") == "message 1: not a JSON object")
        #expect(invalid("[\(Self.message(1)), \(Self.message(2, extra: ", \"oops\": 1"))]") == "message 1: oops is not a brokerClassification field")
        #expect(invalid(Self.message(1).replacingOccurrences(of: "\"alertId\": 1,", with: "")) == "message 0: alertId is missing")
        #expect(
            invalid(Self.message(1).replacingOccurrences(of: "\"alertId\": 1,", with: "\"alertId\": \"1\","))
                == "message 0: alertId must be an integer")
        #expect(invalid(Self.message(1, classIds: [111, 40000])) == "message 0: classifications[1].classId is outside smallint (-32768…32767)")
        #expect(
            invalid("[\(Self.message(1)), \(Self.message(2).replacingOccurrences(of: "\"probability\": 0.75", with: "\"probability\": \"high\""))]")
                == "message 1: classifications[1].probability must be a number")
        let many = Self.message(1, classIds: Array(0..<1001), probabilities: Array(repeating: 0.001, count: 1001))
        #expect(invalid(many) == "message 0: classifications has more than 1000 entries")
    }

    @Test("Stored as load_batch stores them; a retried request stores nothing twice; the first new id is returned")
    func exactlyOnce() throws {
        let connection = try PostgresConnection(try PostgresTestServer.shared.makeDatabase("push"))
        _ = try Migrator.migrate(connection, logger: Logger(label: "push-tests"))
        let batch = try BrokerMessagePush.parse(Data("[\(Self.message(1)), \(Self.message(2)), \(Self.message(2))]".utf8))
        let first = try PushedMessageStore.store(batch, on: connection)
        #expect(first.loaded == 2 && first.alreadyStored == 1)
        let firstId = try #require(first.firstMessageId)
        let again = try PushedMessageStore.store(batch, on: connection)
        #expect(again == PushedMessageStore.Outcome(firstMessageId: nil, loaded: 0, alreadyStored: 3))
        // A message that differs (new probabilities) is a new message.
        let changed = try PushedMessageStore.store(
            try BrokerMessagePush.parse(Data(Self.message(1, probabilities: [0.5, 0.5]).utf8)), on: connection)
        #expect(changed.loaded == 1 && (changed.firstMessageId ?? 0) > firstId)
        let rows = try connection.query(
            """
            SELECT m.brokermessage_id, m.streammessage_id, m.topicname, m.alert_id, m.diasource_id,
                   (extract(epoch FROM m.msghdrtimestamp) * 1000000)::bigint, (extract(epoch FROM m.elasticcpublishtimestamp) * 1000000)::bigint,
                   (extract(epoch FROM m.brokeringesttimestamp) * 1000000)::bigint, m.descingesttimestamp > now() - interval '1 minute',
                   m.classid::text, m.probability::text, c.brokername, c.brokerversion, c.classifiername, c.classifierparams
              FROM elasticc2_brokermessage m JOIN elasticc2_brokerclassifier c USING (classifier_id) ORDER BY 1
            """, statement: "rows")
        #expect(rows.rowCount == 3)
        #expect(try rows.value(0, 0, as: Int64.self) == firstId)
        #expect(try rows.value(0, 1, as: Int64.self) == -1 && rows.string(0, 2) == "REST_push")
        #expect(try rows.value(0, 3, as: Int64.self) == 1 && rows.value(0, 4, as: Int64.self) == 6)
        #expect(try (5..<8).map { try rows.value(0, $0, as: Int64.self) } == [1_700_000_001_000_500, 1_700_000_000_123_000, 1_700_000_000_456_789])
        #expect(try rows.value(0, 8, as: Bool.self))
        #expect(rows.string(0, 9) == "{111,112}" && rows.string(0, 10) == "{0.25,0.75}")
        #expect((11..<15).map { rows.string(0, $0) } == ["apiclassifier", "1.0", "AlwaysTheSame", "0.5 111, 0.75 112"])
        #expect(try connection.query("SELECT count(*) FROM elasticc2_brokerclassifier", statement: "classifiers").value(0, 0, as: Int.self) == 1)
        let sourceIds = try connection.query("SELECT array_agg(diasource_id ORDER BY 1)::text FROM elasticc2_brokersourceids", statement: "ids")
        #expect(sourceIds.string(0, 0) == "{6,7}")
    }
}
