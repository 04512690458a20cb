import Foundation
import TestSupport
import Testing

@Suite("Deployment files")
struct DeploymentTests {
    @Test("docker-compose.yaml parses, and every command in it is accepted by our executables' parsers")
    func composeCommandsParse() throws {
        let compose = TestEnvironment.packageRoot.appendingPathComponent("docker-compose.yaml").path
        let output = try TestEnvironment.runPython(script: "compose_commands.py", arguments: [compose], input: "")
        let commands = output.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let services = Set(commands.map { $0["service"] as! String })
        #expect(services.isSuperset(of: ["migrate", "broker-poll", "fake-broker", "alert-sender", "nightly-sender", "elasticc-api"]))
        for entry in commands {
            let words = entry["command"] as! [String]
            let result = try TestEnvironment.runStatus(
                [TestEnvironment.executable(words[0])] + words.dropFirst(),
                environment: ["ELASTICC_PARSE_ONLY": "1"])
            #expect(result == 0, "\(entry["service"]!): \(words.joined(separator: " ")) was refused")
        }
        // The check can fail: a wrong flag is refused.
        #expect(
            try TestEnvironment.runStatus(
                [TestEnvironment.executable("alert-sender"), "-d", "1", "-a", "2"], environment: ["ELASTICC_PARSE_ONLY": "1"]) != 0)
        #expect(
            try TestEnvironment.runStatus([TestEnvironment.executable("broker-poll"), "--do-pitt"], environment: ["ELASTICC_PARSE_ONLY": "1"]) != 0)
    }
}
