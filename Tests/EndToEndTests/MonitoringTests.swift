import AvroSchemas
import Foundation
import Kafka
import Postgres
import TestSupport
import Testing

/// What a person watching the stream sees: the real executables' `/metrics`, read by the
/// reference Prometheus parser, against what was done; `/health` and `/ready`.
@Suite("Seeing the stream: Prometheus metrics, health and readiness", .serialized)
struct MonitoringTests {
    @Test(
        "alert-sender's textfile, fake-broker's and broker-poll's /metrics count what the cycle did; /health and /ready answer; the Grafana dashboard asks only for exported metrics"
    )
    func metricsMatchTheWork() async throws {
        let (_, connection, stack) = try AlertCycleTests.database([["restore", "--ppdb-only", PostgresTestServer.snapshotPath], ["reset-sent"]])
        let topics = AlertCycleTests.Topics()
        let fakeBrokerPort = try await PrometheusScrape.freePort()
        let brokerPollPort = try await PrometheusScrape.freePort()
        // Topics exist before the consumers join (they are assigned partitions of existing topics only).
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: stack.bootstrap), logger: KafkaTestCluster.logger)
        let bad: [[UInt8]] = [[0], [1, 2, 3], Array("not avro".utf8)]
        let created = await producer.send(bad.map { KafkaOutgoingMessage(topic: topics.classifications, key: nil, value: $0) })
        #expect(created.allSatisfy { (try? $0.get()) != nil })
        _ = await producer.send([KafkaOutgoingMessage(topic: topics.wfd, key: nil, value: Array("not an alert".utf8))])
        try await stack.startService(
            "fake-broker",
            [
                "--source", stack.bootstrap, "-t", topics.wfd, topics.ddfFull, "-u", topics.classifications, "-g", "metrics-fb",
                "--metrics-listen", "127.0.0.1:\(fakeBrokerPort)", "-X", "session.timeout.ms=6000",
            ])
        try await stack.startService(
            "broker-poll",
            [
                "--server", stack.bootstrap, "--topic", topics.classifications, "--group-id", "metrics-bp",
                "--metrics-listen", "127.0.0.1:\(brokerPollPort)", "-X", "session.timeout.ms=6000",
            ])
        let metricsFile = FileManager.default.temporaryDirectory.appendingPathComponent("alert-sender-\(UUID().uuidString).prom").path
        defer { try? FileManager.default.removeItem(atPath: metricsFile) }
        let sent = try stack.run(
            "alert-sender", ["-d", "60578", "-k", stack.bootstrap, "--do", "--metrics-file", metricsFile] + topics.senderArguments)
        #expect(sent.status == 0)
        let alerts = try await connection.query("SELECT count(*) FROM elasticc2_ppdbalert WHERE alertsenttimestamp IS NOT NULL", statement: "sent")
            .value(0, 0, as: Int.self)
        #expect(alerts > 0)
        try await TestEnvironment.waitUntil(timeout: .seconds(120), "every classification and dead letter stored") {
            let rows = try await connection.query(
                "SELECT (SELECT count(*) FROM elasticc2_brokermessage), (SELECT count(*) FROM elasticcstream_dead_letter)", statement: "rows")
            return try rows.value(0, 0, as: Int.self) == 2 * alerts && rows.value(0, 1, as: Int.self) == bad.count
        }

        // alert-sender: node-exporter's textfile, read by the same parser.
        let sender = try await PrometheusScrape.read(metricsFile)
        #expect(Int(sender.sum("elasticc_alertsender_alerts_sent")) == alerts)
        #expect(sender.sum("elasticc_alertsender_alerts_sent", ["topic": topics.wfd]) == Double(try await stack.messageCount(topics.wfd) - 1))
        #expect(sender.sum("elasticc_alertsender_bytes_sent") > Double(alerts) * 100)
        #expect(sender.sum("elasticc_alertsender_run_outcome", ["outcome": "completed"]) == 1)
        #expect(sender.sum("elasticc_alertsender_run_outcome") == 1)
        #expect(abs(sender.sum("elasticc_alertsender_last_success_timestamp_seconds") - Date().timeIntervalSince1970) < 300)

        // fake-broker: every alert it read, the undecodable one apart, and two answers each.
        let fakeBroker = try await PrometheusScrape.read("http://127.0.0.1:\(fakeBrokerPort)/metrics")
        #expect(fakeBroker.contentType.hasPrefix("text/plain; version=0.0.4"))
        #expect(Int(fakeBroker.sum("elasticc_fakebroker_alerts_consumed_total")) == alerts)
        #expect(fakeBroker.sum("elasticc_fakebroker_alerts_undecodable_total", ["topic": topics.wfd]) == 1)
        #expect(Int(fakeBroker.sum("elasticc_fakebroker_classifications_produced_total", ["topic": topics.classifications])) == 2 * alerts)
        #expect(fakeBroker.families["elasticc_fakebroker_batch_duration_seconds"] == "histogram")

        // broker-poll: consumed = stored + dead letters, per broker and topic; lag drained.
        let brokerPoll = try await PrometheusScrape.read("http://127.0.0.1:\(brokerPollPort)/metrics")
        let labels = ["topic": topics.classifications]
        let stored = try await connection.query("SELECT count(*) FROM elasticc2_brokermessage", statement: "stored").value(0, 0, as: Int.self)
        #expect(Int(brokerPoll.sum("elasticc_brokerpoll_messages_consumed_total", labels)) == stored + bad.count)
        #expect(Int(brokerPoll.sum("elasticc_brokerpoll_messages_stored_total", labels)) == stored)
        #expect(Int(brokerPoll.sum("elasticc_brokerpoll_messages_dead_lettered_total", labels)) == bad.count)
        #expect(brokerPoll.sum("elasticc_brokerpoll_messages_already_stored_total", labels) == 0)
        let classifiers = try await connection.query("SELECT count(*) FROM elasticc2_brokerclassifier", statement: "classifiers").value(
            0, 0, as: Int.self)
        #expect(Int(brokerPoll.sum("elasticc_brokerpoll_classifiers_created_total")) == classifiers)
        #expect(brokerPoll.families["elasticc_brokerpoll_store_batch_duration_seconds"] == "histogram")
        #expect(brokerPoll.sum("elasticc_brokerpoll_store_batch_duration_seconds_count") >= 1)
        #expect(brokerPoll.sum("elasticc_brokerpoll_errors_total") == 0)
        try await TestEnvironment.waitUntil(timeout: .seconds(30), "lag gauges for 4 partitions, all 0") {
            let lag = try await PrometheusScrape.read("http://127.0.0.1:\(brokerPollPort)/metrics").samples.filter {
                $0.name == "elasticc_brokerpoll_consumer_lag_messages"
            }
            return lag.count == 4 && lag.allSatisfy { $0.value == 0 }
        }

        // elasticc-api's, after one request; then the Grafana dashboard names only what these export.
        let apiPort = try await PrometheusScrape.freePort()
        let apiListen = try await PrometheusScrape.freePort()
        let api = TestEnvironment.launch([
            TestEnvironment.executable("elasticc-api"), "serve", "--listen", "127.0.0.1:\(apiListen)", "--db", stack.databaseURL,
            "--metrics-listen", "127.0.0.1:\(apiPort)", "--log-level", "warning",
        ])
        try api.run()
        defer { if api.isRunning { kill(api.processIdentifier, SIGKILL) } }
        try await TestEnvironment.waitUntil(timeout: .seconds(30), "elasticc-api up") {
            (try? await PrometheusScrape.status("http://127.0.0.1:\(apiListen)/accounts/login/"))?.code == 200
        }
        let apiMetrics = try await PrometheusScrape.read("http://127.0.0.1:\(apiPort)/metrics")
        #expect(apiMetrics.sum("elasticc_api_requests_total", ["route": "/accounts/login", "status": "200"]) >= 1)
        let exported = Set([sender, fakeBroker, brokerPoll, apiMetrics].flatMap { $0.samples.map(\.name) })
        let dashboard = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: TestEnvironment.packageRoot.appendingPathComponent("grafana/elasticc-stream.json")))
                as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let expressions = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(panels.count >= 8 && expressions.count >= panels.count)
        let named = try Regex(#"elasticc_[a-z0-9_]+"#)
        for expression in expressions {
            // kube-state-metrics' state of the send CronJob, whose pods take alert-sender's textfile with them.
            if expression.contains("kube_") {
                #expect(expression.contains("elasticc-alert-sender"), "\(expression) is about something else")
                continue
            }
            let metrics = expression.matches(of: named).map { String(expression[$0.range]) }
            #expect(!metrics.isEmpty, "\(expression) names no metric of ours")
            for metric in metrics { #expect(exported.contains(metric), "the dashboard asks for \(metric), which no service exports") }
        }
        for port in [fakeBrokerPort, brokerPollPort] {
            #expect(try await PrometheusScrape.status("http://127.0.0.1:\(port)/health").code == 200)
            let ready = try await PrometheusScrape.status("http://127.0.0.1:\(port)/ready")
            #expect(ready.code == 200 && ready.body.contains("\"status\":\"ready\""), "\(ready.body)")
        }
    }

    @Test("A broker-poll whose database is gone is alive but not ready (503, naming the database)")
    func notReadyWithoutDatabase() async throws {
        let url = try PostgresTestServer.shared.makeDatabase("notready")
        let stack = try ProcessStack(databaseURL: url)
        #expect(try stack.run("ppdb", ["migrate"]).status == 0)
        let port = try await PrometheusScrape.freePort()
        let topic = KafkaTestCluster.uniqueName("notready")
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: stack.bootstrap), logger: KafkaTestCluster.logger)
        _ = await producer.send([KafkaOutgoingMessage(topic: topic, key: nil, value: [0])])
        try await stack.startService(
            "broker-poll", ["--server", stack.bootstrap, "--topic", topic, "--group-id", "notready", "--metrics-listen", "127.0.0.1:\(port)"])
        #expect(try await PrometheusScrape.status("http://127.0.0.1:\(port)/ready").code == 200)
        // The database goes away (connections refused from now on).
        let admin = try PostgresConnection(PostgresTestServer.shared.url(forDatabase: "postgres"))
        let name = String(url.split(separator: "/").last ?? "")
        try admin.execute(script: "ALTER DATABASE \(name) ALLOW_CONNECTIONS false", statement: "refuse connections")
        defer { try? admin.execute(script: "ALTER DATABASE \(name) ALLOW_CONNECTIONS true", statement: "allow connections") }
        let ready = try await PrometheusScrape.status("http://127.0.0.1:\(port)/ready")
        #expect(ready.code == 503 && ready.body.contains("\"database\":{\"ok\":false"), "\(ready.body)")
        #expect(try await PrometheusScrape.status("http://127.0.0.1:\(port)/health").code == 200)
    }
}

/// `/health` against a wedged main loop, `/ready` against a database that never answers.
@Suite("A stuck tool is seen: /health for a wedged loop, /ready in bounded time", .serialized)
struct StuckToolTests {
    func classification(_ id: Int64) -> [UInt8] {
        AvroCodec.encode(
            BrokerClassification(
                alertId: id, diaSourceId: id, elasticcPublishTimestamp: 1_700_000_000_000, brokerIngestTimestamp: nil, brokerName: "Stuck",
                brokerVersion: "1", classifierName: "c", classifierParams: "p", classifications: [.init(classId: 2222, probability: 1)]))
    }

    @Test("broker-poll whose store is held: /health 503 after --health-stall-seconds while /metrics answers; 200 again once it moves on")
    func wedgedLoop() async throws {
        let url = try PostgresTestServer.shared.makeDatabase("wedged")
        let stack = try ProcessStack(databaseURL: url)
        #expect(try stack.run("ppdb", ["migrate"]).status == 0)
        let port = try await PrometheusScrape.freePort()
        let topic = KafkaTestCluster.uniqueName("wedged")
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: stack.bootstrap), logger: KafkaTestCluster.logger)
        _ = await producer.send([KafkaOutgoingMessage(topic: topic, key: nil, value: classification(1))])
        try await stack.startService(
            "broker-poll",
            [
                "--server", stack.bootstrap, "--topic", topic, "--group-id", "wedged", "--instances", "1", "--metrics-listen", "127.0.0.1:\(port)",
                "--health-stall-seconds", "2",
            ])
        let connection = try PostgresConnection(url)
        func stored() async throws -> Int {
            try await connection.query("SELECT count(*) FROM elasticc2_brokermessage", statement: "stored").value(0, 0, as: Int.self)
        }
        try await TestEnvironment.waitUntil(timeout: .seconds(60), "the first message stored") { try await stored() == 1 }
        #expect(try await PrometheusScrape.status("http://127.0.0.1:\(port)/health").code == 200)

        // The stored offsets are held, so the next batch's transaction waits: the loop is wedged.
        let holder = try PostgresConnection(url)
        try holder.execute(script: "BEGIN; LOCK TABLE elasticcstream_kafka_offset IN ACCESS EXCLUSIVE MODE", statement: "wedge")
        _ = await producer.send([KafkaOutgoingMessage(topic: topic, key: nil, value: classification(2))])
        try await TestEnvironment.waitUntil(timeout: .seconds(60), "/health reports the stall") {
            try await PrometheusScrape.status("http://127.0.0.1:\(port)/health").code == 503
        }
        let health = try await PrometheusScrape.status("http://127.0.0.1:\(port)/health")
        #expect(health.body.contains("\"status\":\"stalled\"") && health.body.contains("limit 2 s"), "\(health.body)")
        #expect(try await PrometheusScrape.status("http://127.0.0.1:\(port)/metrics").code == 200)

        try holder.execute(script: "ROLLBACK", statement: "unwedge")
        try await TestEnvironment.waitUntil(timeout: .seconds(60), "the second message stored") { try await stored() == 2 }
        try await TestEnvironment.waitUntil(timeout: .seconds(30), "/health well again") {
            try await PrometheusScrape.status("http://127.0.0.1:\(port)/health").code == 200
        }
    }

    @Test("A database that accepts connections and never speaks: /ready answers 503 within its timeout, naming the database")
    func silentDatabase() async throws {
        // A listener that never accepts: connections complete in its backlog and hear nothing.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        #expect(bound && listen(listener, 64) == 0)
        let silentPort = Int(UInt16(bigEndian: address.sin_port))

        let stack = try ProcessStack(databaseURL: "postgresql://nobody@127.0.0.1:\(silentPort)/silent")
        let port = try await PrometheusScrape.freePort()
        let poll = TestEnvironment.launch([
            TestEnvironment.executable("broker-poll"), "--db", stack.databaseURL, "--server", stack.bootstrap, "--topic", "silent",
            "--group-id", "silent", "--metrics-listen", "127.0.0.1:\(port)", "--log-level", "warning",
        ])
        try poll.run()
        defer {
            kill(poll.processIdentifier, SIGKILL)
            poll.waitUntilExit()
        }
        try await TestEnvironment.waitUntil(timeout: .seconds(30), "the monitoring listener up") {
            (try? await PrometheusScrape.status("http://127.0.0.1:\(port)/metrics"))?.code == 200
        }
        let started = ContinuousClock.now
        let ready = try await PrometheusScrape.status("http://127.0.0.1:\(port)/ready")
        #expect(ContinuousClock.now - started < .seconds(8))
        #expect(ready.code == 503 && ready.body.contains("\"database\":{\"ok\":false"), "\(ready.body)")
    }
}
