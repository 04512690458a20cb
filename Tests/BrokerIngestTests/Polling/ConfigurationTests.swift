import BrokerIngest
import Foundation
import Kafka
import TestSupport
import Testing

@Suite("broker-poll configuration")
struct ConfigurationTests {
    @Test("The TOM's preset flags resolve to its servers, topics and group ids")
    func presets() {
        let sources = PresetSelection(test: "t1", brahms: "b1", antares: true, fink: true, alerce: true, grouptag: "night", reset: true)
            .sources(environment: [:])
        let byName = Dictionary(uniqueKeysWithValues: sources.map { ($0.name, $0) })
        #expect(byName["test"]?.servers == "kafka-server:9092" && byName["test"]?.groupId == "testing-night")
        #expect(byName["test"]?.topics == .names(["t1"]))
        #expect(byName["brahms"]?.servers == "brahms.lbl.gov:9092" && byName["brahms"]?.groupId == "elasticc-lbnl-night")
        #expect(byName["antares"]?.servers == "kafka.antares.noirlab.edu:9092")
        #expect(byName["antares"]?.topics == .names(["elasticc-2022fall-classifications"]))
        #expect(byName["antares"]?.security?.mechanism == .plain && byName["antares"]?.security?.passwordFile == "/secrets/antares_passwd")
        #expect(byName["fink"]?.servers == "134.158.74.95:24499" && byName["fink"]?.topics == .names(["fink_elasticc-2022fall"]))
        #expect(byName["alerce"]?.servers == "kafka.alerce.science:9093" && byName["alerce"]?.security?.mechanism == .scramSHA512)
        #expect(sources.allSatisfy { $0.reset })
        let plain = PresetSelection(fink: true, finkTopic: "other").sources(environment: ["ALERCE_KAFKA_SERVER": "x:1"])
        #expect(plain.map(\.groupId) == ["elasticc-lbnl"] && plain[0].topics == .names(["other"]))
        let alerce = PresetSelection(alerce: true).sources(environment: [
            "ALERCE_KAFKA_SERVER": "alerce.test:9093", "ALERCE_TOPIC_RELDATEOFFSET": "-6",
        ])
        #expect(alerce[0].servers == "alerce.test:9093")
        if case .datedPattern(_, let before, let after, _) = alerce[0].topics {
            #expect(before == 6 && after == 2)
        } else {
            Issue.record("not a dated pattern")
        }
    }

    @Test("ALeRCE-style topics are chosen by the date in their name, 4 days back to 2 ahead")
    func datedTopics() {
        let source = PresetSelection(alerce: true).sources(environment: [:])[0]
        let today = ISO8601DateFormatter().date(from: "2026-11-25T12:00:00Z")!
        let chosen = source.topicsToSubscribe(
            available: [
                "lc_classifier_balto_20261120", "lc_classifier_balto_20261121", "lc_classifier_messi_20261125",
                "lc_classifier_balto_20261127", "lc_classifier_balto_20261128", "other_20261125", "lc_classifier_balto_20230807",
            ], today: today)
        #expect(chosen == ["lc_classifier_balto_20261121", "lc_classifier_balto_20261127", "lc_classifier_messi_20261125"])
    }

    @Test("A YAML file lists brokers with topics or a pattern, security and properties")
    func yaml() throws {
        let sources = try BrokerConfigFile.parse(
            """
            brokers:
              - name: fink
                servers: fink.example:24499
                topics: [fink_a, fink_b]
                group_id: elasticc-lbnl
              - name: alerce
                servers: alerce.example:9093
                topic_pattern: '^lc_classifier_.*_(\\d{8})$'
                days_before: 3
                group_id: g2
                security: {mechanism: SCRAM-SHA-512, username_file: /s/u, password_file: /s/p, ca_file: /s/ca.pem}
                properties: {fetch.wait.max.ms: "50"}
                reset: true
            """)
        #expect(sources.count == 2)
        #expect(sources[0].topics == .names(["fink_a", "fink_b"]) && sources[0].security == nil)
        #expect(
            sources[1].security == KafkaSecuritySettings(mechanism: .scramSHA512, usernameFile: "/s/u", passwordFile: "/s/p", caFile: "/s/ca.pem"))
        #expect(sources[1].properties == ["fetch.wait.max.ms": "50"] && sources[1].reset)
        if case .datedPattern(_, let before, let after, _) = sources[1].topics { #expect(before == 3 && after == 2) } else { Issue.record("pattern") }
        #expect(throws: BrokerConfigFile.Invalid.self) { try BrokerConfigFile.parse("brokers:\n  - name: x\n    servers: s\n    group_id: g\n") }
        #expect(throws: BrokerConfigFile.Invalid.self) { try BrokerConfigFile.parse("brokers: []") }
    }

    @Test(
        "brokerpoll2's command lines run unchanged: --do-test alone polls 'classifications', --alerce-topic-pattern is taken (and refused without a date group)"
    )
    func tomCommandLines() throws {
        let poll = TestEnvironment.executable("broker-poll")
        let test = try TestEnvironment.execute([poll, "--do-test", "--print-config"])
        #expect(test.status == 0 && test.stdout.contains(#"names(["classifications"])"#), "\(test.stderr)")
        let alerce = try TestEnvironment.execute([poll, "--do-alerce", "--alerce-topic-pattern", #"^lc_x_(\d{8})$"#, "--print-config"])
        #expect(alerce.status == 0 && alerce.stdout.contains(#"pattern: "^lc_x_(\\d{8})$""#), "\(alerce.stdout)")
        #expect(
            PresetSelection(alerce: true).sources(environment: [:]).first?.topics
                == .datedPattern(
                    pattern: #"^lc_classifier_.*_(\d{4}\d{2}\d{2})$"#, daysBefore: 4, daysAfter: 2, excluded: ["lc_classifier_balto_20230807"]))
        let refused = try TestEnvironment.execute([poll, "--do-alerce", "--alerce-topic-pattern", "lc", "--print-config"])
        #expect(refused.status != 0 && refused.stderr.contains("--alerce-topic-pattern"))
    }
}
