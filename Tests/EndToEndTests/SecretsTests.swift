import Foundation
import Testing
import TestSupport

/// Passwords come only from files or the environment, and no log line of any tool shows them.
@Suite("Secrets stay out of logs")
struct SecretsTests {
    static let kafkaPassword = "kafka-s3cret-\(UUID().uuidString.prefix(6))"
    static let databasePassword = "db-s3cret-\(UUID().uuidString.prefix(6))"

    /// Runs a tool at trace level for a moment (SIGTERM after `seconds`) and returns everything it printed.
    func output(of tool: String, _ arguments: [String], environment: [String: String] = [:], seconds: Double = 2) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnvironment.executable(tool))
        process.arguments = arguments + ["--log-level", "trace"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let reader = ReadAll(pipe.fileHandleForReading)
        Thread.sleep(forTimeInterval: seconds)  // bounded run of a long-lived service, not synchronisation
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        return reader.text()
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
        logs += try output(of: "fake-broker", ["--source", "127.0.0.1:1", "-t", "a", "-u", "b", "--kafka-sasl-mechanism", "PLAIN",
                                               "--kafka-username", "alice", "--kafka-password-file", directory.appendingPathComponent("password").path])
        logs += try output(of: "fake-broker", ["--source", "127.0.0.1:1", "-t", "a", "-u", "b", "--kafka-sasl-mechanism", "SCRAM-SHA-256",
                                               "--kafka-username", "alice"], environment: ["KAFKA_PASSWORD": Self.kafkaPassword])
        logs += try output(of: "alert-sender", ["-d", "60000", "--db", database], seconds: 1)
        logs += try output(of: "ppdb", ["stats"], environment: ["DB_HOST": "127.0.0.1", "DB_PORT": "1", "DB_PASS": Self.databasePassword], seconds: 1)
        #expect(logs.count > 500, "the tools said something")
        #expect(logs.contains("127.0.0.1:1"))
        #expect(!logs.contains(Self.kafkaPassword))
        #expect(!logs.contains(Self.databasePassword))
    }
}

/// Drains a pipe on its own thread so a chatty process never blocks on a full pipe.
final class ReadAll: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread {
            let all = handle.readDataToEndOfFile()
            self.lock.withLock { self.data = all }
            self.done.signal()
        }.start()
    }

    func text() -> String {
        done.wait()
        return lock.withLock { String(decoding: data, as: UTF8.self) }
    }
}
