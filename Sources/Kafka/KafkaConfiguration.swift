import CRdKafka

/// How to reach a Kafka cluster: servers, identity, security and any raw librdkafka property.
public struct KafkaConfiguration: Sendable, CustomStringConvertible {
    public enum SASLMechanism: String, Sendable, CaseIterable {
        case plain = "PLAIN"
        case scramSHA256 = "SCRAM-SHA-256"
        case scramSHA512 = "SCRAM-SHA-512"
    }

    public enum Security: Sendable {
        case plaintext
        case ssl(caFile: String?)
        case saslSSL(mechanism: SASLMechanism, username: String, password: String, caFile: String?)
        /// SASL without TLS, for development clusters only.
        case saslPlaintext(mechanism: SASLMechanism, username: String, password: String)
    }

    public var bootstrapServers: String
    public var clientId: String
    public var security: Security
    /// Raw librdkafka properties, applied after everything else.
    public var properties: [String: String]

    public init(bootstrapServers: String, clientId: String = "elasticc-stream", security: Security = .plaintext, properties: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.clientId = clientId
        self.security = security
        self.properties = properties
    }

    /// All properties in the order they are applied; secrets included, so never log this.
    func resolvedProperties(defaults: [(String, String)]) -> [(String, String)] {
        var pairs: [(String, String)] = [("bootstrap.servers", bootstrapServers), ("client.id", clientId)]
        pairs += defaults
        switch security {
        case .plaintext:
            break
        case .ssl(let caFile):
            pairs.append(("security.protocol", "ssl"))
            if let caFile { pairs.append(("ssl.ca.location", caFile)) }
        case .saslSSL(let mechanism, let username, let password, let caFile):
            pairs += [
                ("security.protocol", "sasl_ssl"), ("sasl.mechanisms", mechanism.rawValue),
                ("sasl.username", username), ("sasl.password", password),
            ]
            if let caFile { pairs.append(("ssl.ca.location", caFile)) }
        case .saslPlaintext(let mechanism, let username, let password):
            pairs += [
                ("security.protocol", "sasl_plaintext"), ("sasl.mechanisms", mechanism.rawValue),
                ("sasl.username", username), ("sasl.password", password),
            ]
        }
        pairs += properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return pairs
    }

    /// A description safe for logs: the password is never shown.
    public var description: String {
        let securityText: String
        switch security {
        case .plaintext: securityText = "plaintext"
        case .ssl: securityText = "ssl"
        case .saslSSL(let mechanism, let username, _, _): securityText = "sasl_ssl \(mechanism.rawValue) user \(username)"
        case .saslPlaintext(let mechanism, let username, _): securityText = "sasl_plaintext \(mechanism.rawValue) user \(username)"
        }
        return "Kafka \(bootstrapServers) (\(securityText), client id \(clientId))"
    }
}

/// Owns an `rd_kafka_conf_t` until `rd_kafka_new` takes it over.
final class NativeConfiguration {
    private(set) var pointer: OpaquePointer?

    init(_ configuration: KafkaConfiguration, defaults: [(String, String)]) throws(KafkaError) {
        pointer = rd_kafka_conf_new()
        for (key, value) in configuration.resolvedProperties(defaults: defaults) {
            try set(key, value)
        }
    }

    func set(_ key: String, _ value: String) throws(KafkaError) {
        var errorText = [CChar](repeating: 0, count: 512)
        let result = rd_kafka_conf_set(pointer, key, value, &errorText, errorText.count)
        guard result == RD_KAFKA_CONF_OK else {
            let reason = String(decoding: errorText.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // The value is left out of the error: it may be a password.
            throw KafkaError.configuration("Kafka property '\(key)' was refused: \(reason)")
        }
    }

    func enableEvents(_ mask: Int32) {
        rd_kafka_conf_set_events(pointer, mask)
    }

    /// Creates the client; on success librdkafka owns the configuration.
    func makeClient(type: rd_kafka_type_t) throws(KafkaError) -> OpaquePointer {
        var errorText = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(type, pointer, &errorText, errorText.count) else {
            let reason = String(decoding: errorText.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw KafkaError.configuration("Kafka client could not be created: \(reason)")
        }
        pointer = nil
        return handle
    }

    deinit {
        if let pointer { rd_kafka_conf_destroy(pointer) }
    }
}
