import Foundation
import Kafka
import Yams

/// The YAML file that lists the brokers to poll.
///
/// ```yaml
/// brokers:
///   - name: alerce
///     servers: kafka.alerce.science:9093
///     topic_pattern: '^lc_classifier_.*_(\d{8})$'   # or topics: [a, b]
///     days_before: 4
///     days_after: 2
///     group_id: elasticc-lbnl
///     security: {mechanism: SCRAM-SHA-512, username_file: /secrets/u, password_file: /secrets/p, ca_file: /secrets/ca.pem}
///     properties: {fetch.wait.max.ms: "100"}
/// ```
public enum BrokerConfigFile {
    struct File: Decodable {
        var brokers: [Entry]
    }

    struct Entry: Decodable {
        var name: String
        var servers: String
        var topics: [String]?
        var topic_pattern: String?
        var days_before: Int?
        var days_after: Int?
        var exclude_topics: [String]?
        var group_id: String
        var security: SecurityEntry?
        var properties: [String: String]?
        var reset: Bool?
    }

    struct SecurityEntry: Decodable {
        var mechanism: String?
        var username: String?
        var username_file: String?
        var password_file: String?
        var ca_file: String?
        var plaintext_sasl: Bool?
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public static func load(path: String) throws -> [BrokerSource] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Invalid(description: "cannot read the broker configuration \(path)")
        }
        return try parse(text, origin: path)
    }

    public static func parse(_ text: String, origin: String = "configuration") throws -> [BrokerSource] {
        let file: File
        do {
            file = try YAMLDecoder().decode(File.self, from: text)
        } catch {
            throw Invalid(description: "\(origin) is not a valid broker list: \(error)")
        }
        guard !file.brokers.isEmpty else { throw Invalid(description: "\(origin) lists no brokers") }
        var names = Set<String>()
        return try file.brokers.map { entry in
            guard names.insert(entry.name).inserted else { throw Invalid(description: "\(origin): broker name \(entry.name) appears twice") }
            let topics: BrokerSource.Topics
            switch (entry.topics, entry.topic_pattern) {
            case (let names?, nil) where !names.isEmpty:
                topics = .names(names)
            case (nil, let pattern?):
                guard (try? NSRegularExpression(pattern: pattern)) != nil else {
                    throw Invalid(description: "\(origin): broker \(entry.name) has an invalid topic_pattern")
                }
                topics = .datedPattern(
                    pattern: pattern, daysBefore: entry.days_before ?? 4, daysAfter: entry.days_after ?? 2,
                    excluded: entry.exclude_topics ?? [])
            default:
                throw Invalid(description: "\(origin): broker \(entry.name) needs either topics or topic_pattern")
            }
            var security: KafkaSecuritySettings?
            if let settings = entry.security {
                var mechanism: KafkaConfiguration.SASLMechanism?
                if let name = settings.mechanism {
                    guard let known = KafkaConfiguration.SASLMechanism(rawValue: name.uppercased()) else {
                        throw Invalid(description: "\(origin): broker \(entry.name) has unknown SASL mechanism \(name)")
                    }
                    mechanism = known
                    guard settings.username != nil || settings.username_file != nil else {
                        throw Invalid(description: "\(origin): broker \(entry.name) needs username or username_file")
                    }
                }
                security = KafkaSecuritySettings(
                    mechanism: mechanism, username: settings.username, usernameFile: settings.username_file,
                    passwordFile: settings.password_file, caFile: settings.ca_file,
                    plaintextSASL: settings.plaintext_sasl ?? false)
            }
            return BrokerSource(
                name: entry.name, servers: entry.servers, topics: topics, groupId: entry.group_id,
                security: security, properties: entry.properties ?? [:], reset: entry.reset ?? false)
        }
    }
}
