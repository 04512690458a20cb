import Foundation

/// How a Kafka client authenticates, as the user wrote it: command-line flags, a broker file's
/// `security:` entry or a TOM preset. `resolve` is the one place these become librdkafka
/// settings, reading secrets from their files (or `KAFKA_PASSWORD`) only then.
public struct KafkaSecuritySettings: Sendable, Equatable {
    public var mechanism: KafkaConfiguration.SASLMechanism?
    public var username: String?
    public var usernameFile: String?
    public var passwordFile: String?
    /// A CA certificate: TLS with it, with or without SASL.
    public var caFile: String?
    /// SASL without TLS (development clusters only).
    public var plaintextSASL: Bool

    public init(
        mechanism: KafkaConfiguration.SASLMechanism? = nil, username: String? = nil, usernameFile: String? = nil,
        passwordFile: String? = nil, caFile: String? = nil, plaintextSASL: Bool = false
    ) {
        self.mechanism = mechanism
        self.username = username
        self.usernameFile = usernameFile
        self.passwordFile = passwordFile
        self.caFile = caFile
        self.plaintextSASL = plaintextSASL
    }

    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// The librdkafka security for these settings. Without a mechanism: TLS if a CA file is
    /// given, else plaintext. With one: SASL over TLS (or plain with `plaintextSASL`), the
    /// username from its value or file, the password from its file or else `KAFKA_PASSWORD`.
    public func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws(Invalid) -> KafkaConfiguration.Security {
        guard let mechanism else {
            if username != nil || usernameFile != nil || passwordFile != nil {
                throw Invalid(description: "a Kafka username or password was given without a SASL mechanism")
            }
            return caFile.map { .ssl(caFile: $0) } ?? .plaintext
        }
        let user: String
        if let username {
            user = username
        } else if let usernameFile {
            user = try Self.firstLine(of: usernameFile, what: "Kafka username file")
        } else {
            throw Invalid(description: "SASL \(mechanism.rawValue) needs a username (or a username file)")
        }
        let password: String
        if let passwordFile {
            password = try Self.firstLine(of: passwordFile, what: "Kafka password file")
        } else if let fromEnvironment = environment["KAFKA_PASSWORD"] {
            password = fromEnvironment
        } else {
            throw Invalid(description: "SASL needs a password: a password file or KAFKA_PASSWORD")
        }
        return plaintextSASL
            ? .saslPlaintext(mechanism: mechanism, username: user, password: password)
            : .saslSSL(mechanism: mechanism, username: user, password: password, caFile: caFile)
    }

    private static func firstLine(of path: String, what: String) throws(Invalid) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Invalid(description: "cannot read the \(what) \(path)")
        }
        return text.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    }
}

extension KafkaConfiguration {
    /// The properties handed to librdkafka, in order, with every secret shown as `<redacted>`:
    /// for checking what a tool's options amount to.
    public func redactedProperties(forConsumer: Bool) -> [(String, String)] {
        let defaults = forConsumer ? KafkaConsumer.defaultProperties : KafkaProducer.defaultProperties
        return resolvedProperties(defaults: defaults).map { key, value in
            (key, key.contains("password") || key.hasPrefix("ssl.key") ? "<redacted>" : value)
        }
    }
}
