import Foundation
import Kafka
import TestSupport
import Testing

@Suite("Kafka security: one resolution for flags, broker files and presets")
struct SecuritySettingsTests {
    func properties(_ security: KafkaConfiguration.Security) -> [String: String] {
        let configuration = KafkaConfiguration(bootstrapServers: "b:9092", security: security)
        return Dictionary(configuration.redactedProperties(forConsumer: true), uniquingKeysWith: { _, last in last })
    }

    @Test("No mechanism: plaintext, or TLS with the CA file alone")
    func withoutSASL() throws {
        #expect(properties(try KafkaSecuritySettings().resolve(environment: [:]))["security.protocol"] == nil)
        let tls = properties(try KafkaSecuritySettings(caFile: "/ca.pem").resolve(environment: [:]))
        #expect(tls["security.protocol"] == "ssl" && tls["ssl.ca.location"] == "/ca.pem")
        #expect(throws: KafkaSecuritySettings.Invalid.self) { try KafkaSecuritySettings(username: "u").resolve(environment: [:]) }
    }

    @Test("SASL takes the password from its file, else KAFKA_PASSWORD; the username from its value or file")
    func sasl() throws {
        let passwordFile = try TestEnvironment.temporaryFile("from-file\n")
        let usernameFile = try TestEnvironment.temporaryFile("alice\nignored\n")
        let fromFiles = try KafkaSecuritySettings(mechanism: .scramSHA512, usernameFile: usernameFile, passwordFile: passwordFile, caFile: "/ca.pem")
            .resolve(environment: ["KAFKA_PASSWORD": "from-environment"])
        guard case .saslSSL(.scramSHA512, "alice", "from-file", "/ca.pem") = fromFiles else {
            Issue.record("unexpected \(fromFiles)")
            return
        }
        let fromEnvironment = try KafkaSecuritySettings(mechanism: .plain, username: "bob").resolve(environment: [
            "KAFKA_PASSWORD": "from-environment"
        ])
        guard case .saslSSL(.plain, "bob", "from-environment", nil) = fromEnvironment else {
            Issue.record("unexpected \(fromEnvironment)")
            return
        }
        let plain = properties(
            try KafkaSecuritySettings(mechanism: .scramSHA256, username: "c", plaintextSASL: true).resolve(environment: ["KAFKA_PASSWORD": "p"]))
        #expect(
            plain["security.protocol"] == "sasl_plaintext" && plain["sasl.mechanisms"] == "SCRAM-SHA-256" && plain["sasl.password"] == "<redacted>")
        #expect(throws: KafkaSecuritySettings.Invalid.self) { try KafkaSecuritySettings(mechanism: .plain, username: "u").resolve(environment: [:]) }
        #expect(throws: KafkaSecuritySettings.Invalid.self) {
            try KafkaSecuritySettings(mechanism: .plain, passwordFile: passwordFile).resolve(environment: [:])
        }
        #expect(throws: KafkaSecuritySettings.Invalid.self) {
            try KafkaSecuritySettings(mechanism: .plain, username: "u", passwordFile: "/no/such/file").resolve(environment: [:])
        }
    }
}
