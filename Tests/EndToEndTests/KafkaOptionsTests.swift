import Foundation
import TestSupport
import Testing

/// Each tool's Kafka options, run through the real executables: what reaches librdkafka.
@Suite("Every tool's Kafka options reach librdkafka's configuration")
struct KafkaOptionsTests {
    /// The properties a tool prints for `arguments` (client name → key → value).
    func resolved(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> [String: [String: String]] {
        let (status, output, _) = try await TestEnvironment.execute(
            [TestEnvironment.executable(tool)] + arguments,
            environment: environment.merging(["ELASTICC_PRINT_KAFKA_CONFIG": "1"]) { $1 })
        #expect(status == 0, "\(tool) \(arguments): \(output)")
        var clients: [String: [String: String]] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            guard parts.count == 2, let equals = parts[1].firstIndex(of: "=") else { continue }
            clients[String(parts[0]), default: [:]][String(parts[1][..<equals])] = String(parts[1][parts[1].index(after: equals)...])
        }
        return clients
    }

    @Test("alert-sender, fake-broker and broker-poll --server: SASL, password file or KAFKA_PASSWORD, CA file alone, -X")
    func flags() async throws {
        let password = try TestEnvironment.temporaryFile("pw-from-file\n")
        let sasl = [
            "--kafka-sasl-mechanism", "SCRAM-SHA-512", "--kafka-username", "alice", "--kafka-password-file", password,
            "--kafka-ca-file", "/ca.pem", "-X", "fetch.wait.max.ms=77",
        ]
        let tools: [(String, [String], String)] = [
            ("alert-sender", ["-d", "60000"], "producer"),
            ("fake-broker", ["-t", "alerts", "-u", "classifications"], "consumer"),
            ("broker-poll", ["--server", "k:9092", "--topic", "t", "--group-id", "g"], "server"),
        ]
        for (tool, base, client) in tools {
            let withFile = try await resolved(tool, base + sasl)[client] ?? [:]
            #expect(withFile["security.protocol"] == "sasl_ssl" && withFile["sasl.mechanisms"] == "SCRAM-SHA-512", "\(tool)")
            #expect(
                withFile["sasl.username"] == "alice" && withFile["sasl.password"] == "<redacted>" && withFile["ssl.ca.location"] == "/ca.pem",
                "\(tool)")
            #expect(withFile["fetch.wait.max.ms"] == "77", "\(tool)")
            let fromEnvironment =
                try await resolved(
                    tool, base + ["--kafka-sasl-mechanism", "PLAIN", "--kafka-username", "bob"],
                    environment: ["KAFKA_PASSWORD": "pw-from-env"])[client] ?? [:]
            #expect(fromEnvironment["sasl.mechanisms"] == "PLAIN" && fromEnvironment["sasl.password"] == "<redacted>", "\(tool)")
            let tlsOnly = try await resolved(tool, base + ["--kafka-ca-file", "/only-ca.pem"])[client] ?? [:]
            #expect(tlsOnly["security.protocol"] == "ssl" && tlsOnly["ssl.ca.location"] == "/only-ca.pem", "\(tool)")
        }
    }

    @Test("broker-poll presets and broker files resolve through the same function; -X reaches each broker")
    func presetsAndFiles() async throws {
        let secrets = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: secrets, withIntermediateDirectories: true)
        try "ant\n".write(toFile: secrets + "/antares_username", atomically: true, encoding: .utf8)
        try "pw\n".write(toFile: secrets + "/antares_passwd", atomically: true, encoding: .utf8)
        let presets = try await resolved("broker-poll", ["--do-antares", "--do-fink", "--secrets-dir", secrets, "-X", "fetch.wait.max.ms=55"])
        #expect(presets["antares"]?["security.protocol"] == "sasl_ssl" && presets["antares"]?["sasl.username"] == "ant")
        #expect(presets["antares"]?["ssl.ca.location"] == secrets + "/antares-ca.pem")
        #expect(presets["fink"]?["security.protocol"] == nil && presets["fink"]?["fetch.wait.max.ms"] == "55")
        let file = try TestEnvironment.temporaryFile(
            """
            brokers:
              - name: tls
                servers: tls.example:9093
                topics: [a]
                group_id: g
                security: {ca_file: /file-ca.pem}
              - name: scram
                servers: scram.example:9093
                topics: [b]
                group_id: g
                security: {mechanism: SCRAM-SHA-256, username: carol}
            """)
        let fromFile = try await resolved("broker-poll", ["--config", file], environment: ["KAFKA_PASSWORD": "env-pw"])
        #expect(fromFile["tls"]?["security.protocol"] == "ssl" && fromFile["tls"]?["ssl.ca.location"] == "/file-ca.pem")
        #expect(fromFile["scram"]?["sasl.mechanisms"] == "SCRAM-SHA-256" && fromFile["scram"]?["sasl.password"] == "<redacted>")
    }
}
