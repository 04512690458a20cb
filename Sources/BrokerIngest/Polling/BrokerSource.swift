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

    public var name: String
    public var servers: String
    public var topics: Topics
    public var groupId: String
    public var security: KafkaSecuritySettings?
    public var properties: [String: String]
    public var reset: Bool

    public init(
        name: String, servers: String, topics: Topics, groupId: String, security: KafkaSecuritySettings? = nil,
        properties: [String: String] = [:], reset: Bool = false
    ) {
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
    public func kafkaConfiguration(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> KafkaConfiguration {
        let resolved: KafkaConfiguration.Security
        do {
            resolved = try (security ?? KafkaSecuritySettings()).resolve(environment: environment)
        } catch {
            throw ConfigurationError(description: "broker \(name): \(error)")
        }
        return KafkaConfiguration(bootstrapServers: servers, clientId: "broker-poll-\(name)", security: resolved, properties: properties)
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
                    match.numberOfRanges > 1, let range = Range(match.range(at: 1), in: topic)
                else { return false }
                return dates.contains(String(topic[range]))
            }.sorted()
        }
    }
}
