import Foundation
import TestSupport
import Testing

@Suite("Deployment files")
struct DeploymentTests {
    @Test("docker-compose.yaml parses, every command in it is accepted by our executables' parsers, and everything it refers to exists")
    func composeCommandsParse() async throws {
        let compose = TestEnvironment.packageRoot.appendingPathComponent("docker-compose.yaml").path
        let output = try await TestEnvironment.runPython(script: "compose_commands.py", arguments: [compose], input: "")
        let commands = output.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let services = Set(commands.map { $0["service"] as! String })
        #expect(services.isSuperset(of: ["migrate", "broker-poll", "fake-broker", "alert-sender", "nightly-sender", "elasticc-api"]))
        for entry in commands {
            let words = entry["command"] as! [String]
            // With the service's environment: KAFKA_SERVER stands in for the Kafka flags.
            let environment = (entry["environment"] as? [String: String] ?? [:]).merging(["ELASTICC_PARSE_ONLY": "1"]) { $1 }
            let result = try await TestEnvironment.runStatus([TestEnvironment.executable(words[0])] + words.dropFirst(), environment: environment)
            #expect(result == 0, "\(entry["service"]!): \(words.joined(separator: " ")) was refused")
        }
        // What it refers to exists: the Dockerfile it builds with, mounted folders, volumes, and
        // environment variables our tools read.
        let problems = try await TestEnvironment.runPython(
            script: "compose_references.py", arguments: [compose, TestEnvironment.packageRoot.path], input: "")
        #expect(problems.isEmpty, "\(problems)")
        // Every tool of ours reaches Kafka through the stack's KAFKA_SERVER; no command names it.
        #expect(commands.allSatisfy { ($0["environment"] as? [String: String])?["KAFKA_SERVER"] == "kafka:9092" })
        #expect(!commands.contains { ($0["command"] as! [String]).contains("kafka:9092") })
        // KAFKA_SERVER is where the tools go when the command line names no Kafka.
        for tool in [["alert-sender", "send"], ["fake-broker"]] {
            let help = try await TestEnvironment.execute(
                [TestEnvironment.executable(tool[0])] + tool.dropFirst() + ["--help"], environment: ["KAFKA_SERVER": "kafka.example:9092"])
            let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(text.contains("(default: kafka.example:9092)"), "\(tool): \(text)")
        }
        let pollOneTopic = [TestEnvironment.executable("broker-poll"), "--topic", "classifications", "--group-id", "g"]
        #expect(try await TestEnvironment.runStatus(pollOneTopic, environment: ["ELASTICC_PARSE_ONLY": "1"]) != 0)
        #expect(try await TestEnvironment.runStatus(pollOneTopic, environment: ["ELASTICC_PARSE_ONLY": "1", "KAFKA_SERVER": "kafka:9092"]) == 0)
        // /metrics, /health and /ready where the health checks look: on METRICS_LISTEN, which an
        // override may move (podman's host network gives each service its own port).
        for service in ["broker-poll", "fake-broker", "elasticc-api", "nightly-sender"] {
            let entry = commands.first { $0["service"] as? String == service }
            #expect((entry?["environment"] as? [String: String])?["METRICS_LISTEN"] == "0.0.0.0:9464", "\(service)")
        }
        let misplaced = ["ELASTICC_PARSE_ONLY": "1", "KAFKA_SERVER": "kafka:9092", "METRICS_LISTEN": "nowhere"]
        #expect(try await TestEnvironment.runStatus(pollOneTopic, environment: misplaced) != 0)
        // The check can fail: a wrong flag is refused.
        #expect(
            try await TestEnvironment.runStatus(
                [TestEnvironment.executable("alert-sender"), "-d", "1", "-a", "2"], environment: ["ELASTICC_PARSE_ONLY": "1"]) != 0)
        #expect(
            try await TestEnvironment.runStatus([TestEnvironment.executable("broker-poll"), "--do-pitt"], environment: ["ELASTICC_PARSE_ONLY": "1"])
                != 0)
    }

    @Test(
        "The Kubernetes overlays render with kubectl kustomize, validate against Kubernetes 1.30 and 1.31, meet the restricted profile, and their commands pass our parsers"
    )
    func kubernetesManifests() async throws {
        let root = TestEnvironment.packageRoot.appendingPathComponent("deploy/kubernetes")
        for overlay in ["spin", "dev", "spin-strimzi"] {
            let rendered = try await TestEnvironment.execute(["kubectl", "kustomize", root.appendingPathComponent("overlays/\(overlay)").path])
            #expect(rendered.status == 0, "\(overlay): \(rendered.stderr)")
            let file = try TestEnvironment.temporaryFile(rendered.stdout, prefix: "rendered-\(overlay)")
            defer { try? FileManager.default.removeItem(atPath: file) }
            for version in ["1.30.0", "1.31.0"] {
                let outcome = try await TestEnvironment.execute(["kubernetes-validate", "--strict", "--quiet", "-k", version, file])
                #expect(outcome.status == 0, "\(overlay) on \(version): \(outcome.stdout) \(outcome.stderr)")
            }
            // Hardening, one place for hosts, least-privilege roles, query roles wired, the
            // overlay's own parts (registry, pull secret, Ingress with TLS, PodMonitor, Strimzi).
            let problems = try await TestEnvironment.runPython(script: "kubernetes_checks.py", arguments: [file, overlay], input: "")
            #expect(problems.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(overlay): \(problems)")
            let commands = try await TestEnvironment.runPython(script: "kubernetes_checks.py", arguments: ["--commands", file, overlay], input: "")
            for line in commands.split(separator: "\n") {
                let words = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String])
                let status = try await TestEnvironment.runStatus(
                    [TestEnvironment.executable(words[0])] + words.dropFirst(),
                    environment: ["ELASTICC_PARSE_ONLY": "1", "KAFKA_SERVER": "kafka:9092"])
                #expect(status == 0, "\(overlay): \(words.joined(separator: " ")) was refused")
            }
        }
        // The checks can fail: a pod that names a host and has no seccomp profile is reported.
        let careless = try TestEnvironment.temporaryFile(
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: careless}
            spec:
              selector: {matchLabels: {app: c}}
              template:
                metadata: {labels: {app: c}}
                spec:
                  containers: [{name: c, image: x, args: [broker-poll, --server, "kafka:9092"]}]
            """, prefix: "careless")
        let reported = try await TestEnvironment.runPython(script: "kubernetes_checks.py", arguments: [careless, "dev"], input: "")
        #expect(reported.contains("seccompProfile") && reported.contains("names a host"), "\(reported)")
        // The check can fail: an unknown field is refused.
        let broken = try TestEnvironment.temporaryFile(
            "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 80}], nonsense: 1}\n", prefix: "broken")
        #expect(try await TestEnvironment.execute(["kubernetes-validate", "--strict", "-k", "1.31.0", broken]).status != 0)
    }
}
