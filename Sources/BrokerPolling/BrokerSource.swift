import Foundation
import Kafka

/// One alert broker to consume: where it is, which topics, and how to authenticate.
public struct BrokerSource: Sendable, Equatable {
    /// Topics by name, or by a pattern whose first capture group is a `yyyyMMdd` date that must
    /// fall within a window around today (ALeRCE publishes one topic per classifier and day).
    public enum Topics: Sendable, Equatable {
        case names([String])
        case datedPattern(pattern: String, daysBefore: Int, daysAfter: Int, excluded: [String])
    }

    public struct Security: Sendable, Equatable {
        public var mechanism: KafkaConfiguration.SASLMechanism
        public var usernameFile: String?
        public var username: String?
        public var passwordFile: String
        public var caFile: String?

        public init(mechanism: KafkaConfiguration.SASLMechanism, username: String? = nil, usernameFile: String? = nil, passwordFile: String, caFile: String? = nil) {
            self.mechanism = mechanism
            self.username = username
            self.usernameFile = usernameFile
            self.passwordFile = passwordFile
            self.caFile = caFile
        }
    }

    public var name: String
    public var servers: String
    public var topics: Topics
    public var groupId: String
    public var security: Security?
    public var properties: [String: String]
    public var reset: Bool

    public init(name: String, servers: String, topics: Topics, groupId: String, security: Security? = nil,
                properties: [String: String] = [:], reset: Bool = false) {
        self.name = name
        self.servers = servers
        self.topics = topics
        self.groupId = groupId
        self.security = security
        self.properties = properties
        self.reset = reset
    }

    public struct ConfigurationError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The Kafka configuration, reading the credentials from their files now.
    public func kafkaConfiguration() throws -> KafkaConfiguration {
        var security: KafkaConfiguration.Security = .plaintext
        if let settings = self.security {
            func read(_ path: String) throws -> String {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw ConfigurationError(description: "broker \(name): cannot read \(path)")
                }
                return text.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            }
            let username = try settings.username ?? settings.usernameFile.map(read) ?? {
                throw ConfigurationError(description: "broker \(name): SASL needs a username or username_file")
            }()
            security = .saslSSL(mechanism: settings.mechanism, username: username, password: try read(settings.passwordFile), caFile: settings.caFile)
        }
        return KafkaConfiguration(bootstrapServers: servers, clientId: "broker-poll-\(name)", security: security, properties: properties)
    }

    /// The topics to subscribe to now, given the cluster's topic names.
    public func topicsToSubscribe(available: [String], today: Date = Date()) -> [String] {
        switch topics {
        case .names(let names):
            return names
        case .datedPattern(let pattern, let before, let after, let excluded):
            guard let expression = try? NSRegularExpression(pattern: pattern) else { return [] }
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let formatter = DateFormatter()
            formatter.calendar = calendar
            formatter.timeZone = calendar.timeZone
            formatter.dateFormat = "yyyyMMdd"
            let dates = Set((-before...after).compactMap { calendar.date(byAdding: .day, value: $0, to: today) }.map(formatter.string))
            return available.filter { topic in
                guard !excluded.contains(topic),
                      let match = expression.firstMatch(in: topic, range: NSRange(topic.startIndex..., in: topic)),
                      match.numberOfRanges > 1, let range = Range(match.range(at: 1), in: topic) else { return false }
                return dates.contains(String(topic[range]))
            }.sorted()
        }
    }
}
