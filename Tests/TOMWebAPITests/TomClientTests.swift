import Foundation
import Logging
import Postgres
import TOMAccounts
import TOMDatabase
import TestSupport
import Testing

/// The built `elasticc-api serve`, driven over real HTTP by the TOM's own `tom_client.py`.
@Suite("elasticc-api with the TOM's tom_client.py")
struct TomClientTests {
    @Test("TomClient logs in, sees a wrong password refused, and PUTs 650 messages in batches of 100, each stored once")
    func tomClientPushes() async throws {
        let (url, connection) = try RouterTests.database()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let ready = work.appendingPathComponent("ready").path
        let server = TestEnvironment.launch([
            TestEnvironment.executable("elasticc-api"), "serve", "--listen", "127.0.0.1:0", "--db", url, "--ready-file", ready,
            "--log-level", "warning",
        ])
        try server.run()
        defer {
            if server.isRunning { kill(server.processIdentifier, SIGKILL) }
        }
        try await TestEnvironment.waitUntil(timeout: .seconds(30), "elasticc-api listening") { FileManager.default.fileExists(atPath: ready) }
        // "ready 127.0.0.1:PORT"
        let address = try String(contentsOfFile: ready, encoding: .utf8).split(separator: " ")[1].trimmingCharacters(in: .whitespacesAndNewlines)
        let output = try await TestEnvironment.runPython(
            script: "tom_client_push.py",
            arguments: [
                TestEnvironment.referenceDirectory.appendingPathComponent("tom_desc").path, "http://\(address)", "ampel", "pw", "650",
            ],
            input: "")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(result["failed_login_detected"] as? Bool == true)
        #expect(result["statuses"] as? [Int] == [201])
        #expect(result["loaded"] as? Int == 650)
        let counts = try await connection.query(
            """
            SELECT count(*), count(DISTINCT alert_id), sum(array_length(classid, 1)),
                   count(*) FILTER (WHERE msghdrtimestamp - brokeringesttimestamp BETWEEN interval '0' AND interval '5 seconds'),
                   count(*) FILTER (WHERE descingesttimestamp - msghdrtimestamp BETWEEN interval '0' AND interval '5 seconds'),
                   (SELECT count(*) FROM elasticc2_brokersourceids)
              FROM elasticc2_brokermessage WHERE topicname = 'REST_push'
            """, statement: "pushed")
        #expect(try (0..<6).map { try counts.value(0, $0, as: Int.self) } == [650, 650, 1300, 650, 650, 650])
        // SIGTERM: a graceful stop.
        kill(server.processIdentifier, SIGTERM)
        try await TestEnvironment.waitUntil(timeout: .seconds(20), "elasticc-api stopped") { !server.isRunning }
        #expect(server.terminationReason == .exit && server.terminationStatus == 0)
    }
}
