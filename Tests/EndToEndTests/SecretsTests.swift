import Foundation
import TestSupport
import Testing

/// Passwords come only from files or the environment, and no log line of any tool shows them.
@Suite("Secrets stay out of logs")
struct SecretsTests {
    static let kafkaPassword = "kafka-s3cret-\(UUID().uuidString.prefix(6))"
    static let databasePassword = "db-s3cret-\(UUID().uuidString.prefix(6))"

    /// Runs a tool at trace level for a moment (SIGTERM after `seconds`) and returns everything it printed.
    func output(of tool: String, _ arguments: [String], environment: [String: String] = [:], seconds: Double = 2) throws -> String {
        let process = TestEnvironment.launch([TestEnvironment.executable(tool)] + arguments + ["--log-level", "trace"], environment: environment)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let reader = ReadAll(pipe.fileHandleForReading)
        Thread.sleep(forTimeInterval: seconds)  // bounded run of a long-lived service, not synchronisation
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        return String(decoding: reader.wait(), as: UTF8.self)
    }

    @Test("broker-poll, fake-broker and alert-sender never print a Kafka or database password")
    func noSecretsInLogs() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "alice\n".write(to: directory.appendingPathComponent("user"), atomically: true, encoding: .utf8)
        try "\(Self.kafkaPassword)\n".write(to: directory.appendingPathComponent("password"), atomically: true, encoding: .utf8)
        let config = directory.appendingPathComponent("brokers.yaml")
        try """
        brokers:
          - name: secured
            servers: 127.0.0.1:1
            topics: [t]
            group_id: g
            security: {mechanism: SCRAM-SHA-512, username_file: \(directory.path)/user, password_file: \(directory.path)/password}
        """.write(to: config, atomically: true, encoding: .utf8)
        let database = "postgresql://postgres:\(Self.databasePassword)@127.0.0.1:1/nothing"

        var logs = try output(of: "broker-poll", ["--config", config.path, "--db", database, "--stats-interval", "0.5"])
        logs += try output(
            of: "fake-broker",
            [
                "--source", "127.0.0.1:1", "-t", "a", "-u", "b", "--kafka-sasl-mechanism", "PLAIN",
                "--kafka-username", "alice", "--kafka-password-file", directory.appendingPathComponent("password").path,
            ])
        logs += try output(
            of: "fake-broker",
            [
                "--source", "127.0.0.1:1", "-t", "a", "-u", "b", "--kafka-sasl-mechanism", "SCRAM-SHA-256",
                "--kafka-username", "alice",
            ], environment: ["KAFKA_PASSWORD": Self.kafkaPassword])
        logs += try output(of: "alert-sender", ["-d", "60000", "--db", database], seconds: 1)
        logs += try output(
            of: "ppdb", ["stats"], environment: ["DB_HOST": "127.0.0.1", "DB_PORT": "1", "DB_PASS": Self.databasePassword], seconds: 1)
        #expect(logs.count > 500, "the tools said something")
        #expect(logs.contains("127.0.0.1:1"))
        #expect(!logs.contains(Self.kafkaPassword))
        #expect(!logs.contains(Self.databasePassword))
    }

    @Test("ppdb restore hands pg_restore the connection through its environment, never its command line")
    func restoreKeepsThePasswordOffTheCommandLine() throws {
        let url = try PostgresTestServer.shared.makeDatabase("restoresecret")
        // The test cluster trusts loopback: a password in the URL is accepted and must stay unseen.
        let withPassword = url.replacingOccurrences(of: "postgres@", with: "postgres:\(Self.databasePassword)@")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("restore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let wrapper = directory.appendingPathComponent("pg_restore")
        // What pg_restore itself would see: the wrapper execs it with the same arguments and environment.
        try """
        #!/bin/sh
        tr '\\0' ' ' < /proc/$$/cmdline >> '\(directory.path)/cmdline'
        echo >> '\(directory.path)/cmdline'
        printf '%s\\n' "$PGPASSWORD" >> '\(directory.path)/password'
        exec pg_restore "$@"
        """.write(to: wrapper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper.path)
        let ppdb = TestEnvironment.executable("ppdb")
        _ = try TestEnvironment.run([ppdb, "migrate", "--db", withPassword, "--log-level", "warning"])
        _ = try TestEnvironment.run(
            [ppdb, "restore", "--ppdb-only", PostgresTestServer.snapshotPath, "--db", withPassword, "--log-level", "warning"],
            environment: ["ELASTICC_PG_RESTORE": wrapper.path])
        let commandLines = try String(contentsOf: directory.appendingPathComponent("cmdline"), encoding: .utf8)
        #expect(commandLines.contains("--data-only") && commandLines.contains("--dbname"))
        #expect(!commandLines.contains(Self.databasePassword))
        #expect(!commandLines.contains("127.0.0.1"))
        let passwords = try String(contentsOf: directory.appendingPathComponent("password"), encoding: .utf8)
        #expect(passwords.contains(Self.databasePassword))
        let restored = try TestEnvironment.run(["psql", url, "-Atc", "SELECT count(*) FROM elasticc2_ppdbdiaforcedsource"])
        #expect(restored.trimmingCharacters(in: .whitespacesAndNewlines) == "52172")
    }
}
