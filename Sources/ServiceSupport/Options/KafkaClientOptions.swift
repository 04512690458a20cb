import ArgumentParser
import Foundation
import Kafka

/// Security and raw librdkafka settings shared by every tool that talks to Kafka. Passwords are
/// read from files or the environment, never from the command line. Each setting may also come
/// from the environment (`KAFKA_SASL_MECHANISM`, `KAFKA_USERNAME`, `KAFKA_CA_FILE`,
/// `KAFKA_PLAINTEXT_SASL`), as `KAFKA_SERVER` does: a deployment sets them once for every tool.
public struct KafkaClientOptions: ParsableArguments, Sendable {
    @Option(help: "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (over SSL unless --kafka-plaintext-sasl); default KAFKA_SASL_MECHANISM.")
    public var kafkaSaslMechanism: String? = DeploymentEnvironment.value("KAFKA_SASL_MECHANISM")

    @Option(help: "SASL username; default KAFKA_USERNAME.")
    public var kafkaUsername: String? = DeploymentEnvironment.value("KAFKA_USERNAME")

    @Option(help: "File holding the SASL password (else the KAFKA_PASSWORD environment variable).")
    public var kafkaPasswordFile: String?

    @Option(help: "CA certificate file for TLS; default KAFKA_CA_FILE.")
    public var kafkaCaFile: String? = DeploymentEnvironment.value("KAFKA_CA_FILE")

    @Flag(help: "Use SASL without TLS (development clusters only); default KAFKA_PLAINTEXT_SASL=true.")
    public var kafkaPlaintextSasl = false

    /// The flag, or `KAFKA_PLAINTEXT_SASL` true (a flag cannot default to true).
    var plaintextSASL: Bool {
        kafkaPlaintextSasl || ["1", "true", "yes"].contains(DeploymentEnvironment.value("KAFKA_PLAINTEXT_SASL")?.lowercased() ?? "")
    }

    @Option(name: [.customShort("X"), .customLong("kafka-property")], help: "Raw librdkafka property KEY=VALUE (repeatable).")
    public var kafkaProperties: [String] = []

    public init() {}

    /// The Kafka address a tool uses when its command line names none: `KAFKA_SERVER` (so that a
    /// `docker compose run` that replaces the command still reaches the stack's Kafka), else
    /// `localhost:9092`.
    public static var defaultServer: String { DeploymentEnvironment.value("KAFKA_SERVER") ?? "localhost:9092" }

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

    /// The security these flags ask for, resolved by the one function every tool uses.
    public var securitySettings: KafkaSecuritySettings {
        KafkaSecuritySettings(
            mechanism: kafkaSaslMechanism.flatMap { KafkaConfiguration.SASLMechanism(rawValue: $0.uppercased()) },
            username: kafkaUsername, passwordFile: kafkaPasswordFile, caFile: kafkaCaFile, plaintextSASL: plaintextSASL)
    }

    /// The `-X KEY=VALUE` properties.
    public var properties: [String: String] {
        var properties: [String: String] = [:]
        for property in kafkaProperties {
            let parts = property.split(separator: "=", maxSplits: 1)
            properties[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return properties
    }

    /// The configuration for `servers`, reading the password from its file or the environment.
    public func configuration(servers: String, clientId: String) throws -> KafkaConfiguration {
        let security: KafkaConfiguration.Security
        do { security = try securitySettings.resolve() } catch { throw ValidationError("\(error)") }
        return KafkaConfiguration(bootstrapServers: servers, clientId: clientId, security: security, properties: properties)
    }
}

/// With `ELASTICC_PRINT_KAFKA_CONFIG=1`, a tool prints the librdkafka properties its options
/// resolved to (secrets redacted) and exits: how deployments and tests check the options.
public enum KafkaConfigurationCheck {
    public static func exitIfRequested(_ clients: [(name: String, configuration: KafkaConfiguration, consumer: Bool)]) {
        guard ProcessInfo.processInfo.environment["ELASTICC_PRINT_KAFKA_CONFIG"] == "1" else { return }
        for client in clients {
            for (key, value) in client.configuration.redactedProperties(forConsumer: client.consumer) {
                print("\(client.name)\t\(key)=\(value)")
            }
        }
        exit(0)
    }
}
