import Kafka

/// The TOM's brokerpoll2 presets: its servers, topics, group ids and credential files.
public enum BrokerPresets {
    public static func groupId(_ base: String, tag: String?) -> String {
        base + (tag.map { "-\($0)" } ?? "")
    }

    public static func test(topic: String, grouptag: String?, reset: Bool) -> BrokerSource {
        BrokerSource(
            name: "test", servers: "kafka-server:9092", topics: .names([topic]),
            groupId: groupId("testing", tag: grouptag), reset: reset)
    }

    public static func brahms(topic: String, grouptag: String?, reset: Bool) -> BrokerSource {
        BrokerSource(
            name: "brahms", servers: "brahms.lbl.gov:9092", topics: .names([topic]),
            groupId: groupId("elasticc-lbnl", tag: grouptag), reset: reset)
    }

    public static func antares(topic: String?, grouptag: String?, reset: Bool, secrets: String = "/secrets") -> BrokerSource {
        BrokerSource(
            name: "antares", servers: "kafka.antares.noirlab.edu:9092",
            topics: .names([topic ?? "elasticc-2022fall-classifications"]),
            groupId: groupId("elasticc-lbnl", tag: grouptag),
            security: KafkaSecuritySettings(
                mechanism: .plain, usernameFile: "\(secrets)/antares_username", passwordFile: "\(secrets)/antares_passwd",
                caFile: "\(secrets)/antares-ca.pem"),
            properties: ["api.version.request": "true", "broker.version.fallback": "0.10.0.0", "api.version.fallback.ms": "0"],
            reset: reset)
    }

    public static func fink(topic: String?, grouptag: String?, reset: Bool) -> BrokerSource {
        BrokerSource(
            name: "fink", servers: "134.158.74.95:24499", topics: .names([topic ?? "fink_elasticc-2022fall"]),
            groupId: groupId("elasticc-lbnl", tag: grouptag), reset: reset)
    }

    /// brokerpoll2's `--alerce-topic-pattern` default: ALeRCE's topics end in their date.
    public static let alerceTopicPattern = #"^lc_classifier_.*_(\d{4}\d{2}\d{2})$"#

    public static func alerce(
        grouptag: String?, reset: Bool, environment: [String: String], secrets: String = "/secrets", pattern: String = alerceTopicPattern
    ) -> BrokerSource {
        BrokerSource(
            name: "alerce", servers: environment["ALERCE_KAFKA_SERVER"] ?? "kafka.alerce.science:9093",
            topics: .datedPattern(
                pattern: pattern,
                daysBefore: -(Int(environment["ALERCE_TOPIC_RELDATEOFFSET"] ?? "") ?? -4), daysAfter: 2,
                excluded: ["lc_classifier_balto_20230807"]),
            groupId: groupId("elasticc-lbnl", tag: grouptag),
            security: KafkaSecuritySettings(
                mechanism: .scramSHA512, usernameFile: "\(secrets)/alerce_username", passwordFile: "\(secrets)/alerce_passwd"),
            reset: reset)
    }
}
