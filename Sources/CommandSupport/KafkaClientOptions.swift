import ArgumentParser
import Foundation
import Kafka

/// Security and raw librdkafka settings shared by every tool that talks to Kafka. Passwords are
/// read from files or the environment, never from the command line.
public struct KafkaClientOptions: ParsableArguments, Sendable {
    @Option(help: "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (over SSL unless --kafka-plaintext-sasl).")
    public var kafkaSaslMechanism: String?

    @Option(help: "SASL username.")
    public var kafkaUsername: String?

    @Option(help: "File holding the SASL password (else the KAFKA_PASSWORD environment variable).")
    public var kafkaPasswordFile: String?

    @Option(help: "CA certificate file for TLS.")
    public var kafkaCaFile: String?

    @Flag(help: "Use SASL without TLS (development clusters only).")
    public var kafkaPlaintextSasl = false

    @Option(name: [.customShort("X"), .customLong("kafka-property")], help: "Raw librdkafka property KEY=VALUE (repeatable).")
    public var kafkaProperties: [String] = []

    public init() {}

    public func validate() throws {
        for property in kafkaProperties where !property.contains("=") {
            throw ValidationError("Kafka property '\(property)' must look like KEY=VALUE.")
        }
        if let mechanism = kafkaSaslMechanism, KafkaConfiguration.SASLMechanism(rawValue: mechanism.uppercased()) == nil {
            throw ValidationError("Unknown SASL mechanism '\(mechanism)': use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.")
        }
        if kafkaSaslMechanism != nil, kafkaUsername == nil {
            throw ValidationError("--kafka-sasl-mechanism needs --kafka-username.")
        }
    }

    /// The configuration for `servers`, reading the password from its file or the environment.
    public func configuration(servers: String, clientId: String) throws -> KafkaConfiguration {
        var properties: [String: String] = [:]
        for property in kafkaProperties {
            let parts = property.split(separator: "=", maxSplits: 1)
            properties[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        var security: KafkaConfiguration.Security = kafkaCaFile.map { .ssl(caFile: $0) } ?? .plaintext
        if let name = kafkaSaslMechanism, let mechanism = KafkaConfiguration.SASLMechanism(rawValue: name.uppercased()), let username = kafkaUsername {
            let password = try Self.password(file: kafkaPasswordFile)
            security = kafkaPlaintextSasl
                ? .saslPlaintext(mechanism: mechanism, username: username, password: password)
                : .saslSSL(mechanism: mechanism, username: username, password: password, caFile: kafkaCaFile)
        }
        return KafkaConfiguration(bootstrapServers: servers, clientId: clientId, security: security, properties: properties)
    }

    static func password(file: String?) throws -> String {
        if let file {
            do {
                return try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw ValidationError("Cannot read the Kafka password file \(file).")
            }
        }
        if let password = ProcessInfo.processInfo.environment["KAFKA_PASSWORD"] { return password }
        throw ValidationError("SASL needs a password: --kafka-password-file or KAFKA_PASSWORD.")
    }
}
