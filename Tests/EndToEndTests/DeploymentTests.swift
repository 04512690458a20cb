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
        // The check can fail: a wrong flag is refused.
        #expect(
            try await TestEnvironment.runStatus(
                [TestEnvironment.executable("alert-sender"), "-d", "1", "-a", "2"], environment: ["ELASTICC_PARSE_ONLY": "1"]) != 0)
        #expect(
            try await TestEnvironment.runStatus([TestEnvironment.executable("broker-poll"), "--do-pitt"], environment: ["ELASTICC_PARSE_ONLY": "1"])
                != 0)
    }

    @Test("The Kubernetes manifests validate against a current Kubernetes, and their commands pass our parsers")
    func kubernetesManifests() async throws {
        let directory = TestEnvironment.packageRoot.appendingPathComponent("deploy/kubernetes")
        let manifests = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }
            .map { directory.appendingPathComponent($0).path }
        #expect(
            Set(manifests.map { URL(fileURLWithPath: $0).lastPathComponent }).isSuperset(of: [
                "elasticc-api.yaml", "broker-poll.yaml", "fake-broker.yaml", "alert-sender-cronjob.yaml", "migrate-job.yaml",
            ]))
        for manifest in manifests {
            let outcome = try await TestEnvironment.execute(["kubernetes-validate", "--strict", "-k", "1.31.0", manifest])
            #expect(outcome.status == 0, "\(manifest): \(outcome.stdout) \(outcome.stderr)")
            let commands = try await TestEnvironment.run([
                "python3", "-c",
                """
                import json, sys, yaml
                for document in yaml.safe_load_all(open(sys.argv[1])):
                    spec = (document or {}).get("spec", {})
                    pod = spec.get("template", spec.get("jobTemplate", {}).get("spec", {}).get("template", {})).get("spec", {})
                    for container in pod.get("initContainers", []) + pod.get("containers", []):
                        print(json.dumps(container.get("command", []) + container.get("args", [])))
                """,
                manifest,
            ])
            for line in commands.split(separator: "\n") {
                let words = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String])
                let status = try await TestEnvironment.runStatus(
                    [TestEnvironment.executable(words[0])] + words.dropFirst(), environment: ["ELASTICC_PARSE_ONLY": "1"])
                #expect(status == 0, "\(manifest): \(words.joined(separator: " ")) was refused")
            }
        }
        // The restricted Pod Security profile's demands, and tini kept as PID 1 (args, not command).
        let hardening = try await TestEnvironment.run(
            [
                "python3", "-c",
                """
                import sys, yaml
                for path in sys.argv[1:]:
                    for document in yaml.safe_load_all(open(path)):
                        spec = (document or {}).get("spec", {})
                        pod = spec.get("template", spec.get("jobTemplate", {}).get("spec", {}).get("template", {})).get("spec")
                        if not pod:
                            continue
                        if pod.get("securityContext", {}).get("seccompProfile") != {"type": "RuntimeDefault"}:
                            print(path, "pod without seccompProfile RuntimeDefault")
                        for container in pod.get("initContainers", []) + pod.get("containers", []):
                            context = container.get("securityContext", {})
                            if "command" in container:
                                print(path, container["name"], "replaces the image's entrypoint (tini)")
                            if not context.get("readOnlyRootFilesystem") or context.get("allowPrivilegeEscalation") is not False:
                                print(path, container["name"], "root file system writable or privilege escalation allowed")
                """,
            ] + manifests)
        #expect(hardening.isEmpty, "\(hardening)")
        // The check can fail: an unknown field is refused.
        let broken = try TestEnvironment.temporaryFile(
            "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 80}], nonsense: 1}\n", prefix: "broken")
        #expect(try await TestEnvironment.execute(["kubernetes-validate", "--strict", "-k", "1.31.0", broken]).status != 0)
    }
}
