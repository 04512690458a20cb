import Foundation
import Kafka
import Postgres
import TestSupport

/// The alert cycle's programs as separate processes, the way cron and systemd run them.
final class ProcessStack {
    let databaseURL: String
    let kafka: Process
    let bootstrap: String
    var services: [Process] = []
    private let logDirectory: URL

    init(databaseURL: String) throws {
        self.databaseURL = databaseURL
        logDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        let output = Pipe()
        kafka = TestEnvironment.launch([TestEnvironment.executable("kafka-mock"), "--partitions", "4", "--log-level", "warning"])
        kafka.standardOutput = output
        try kafka.run()
        // The first line on stdout is the bootstrap address.
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
        bootstrap = String(decoding: line, as: UTF8.self)
    }

    deinit {
        for process in services + [kafka] where process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: logDirectory)
    }

    /// Starts a long-running service and waits until its consumer has joined its group.
    func startService(_ name: String, _ arguments: [String]) async throws {
        let log = logDirectory.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let ready = log.deletingLastPathComponent().appendingPathComponent("\(name)-\(UUID().uuidString).ready").path
        let process = TestEnvironment.launch(
            [TestEnvironment.executable(name)] + arguments + ["--log-level", "info", "--ready-file", ready],
            environment: ["DATABASE_URL": databaseURL])
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        services.append(process)
        try await TestEnvironment.waitUntil(timeout: .seconds(60), "\(name) joined its group") {
            FileManager.default.fileExists(atPath: ready)
        }
    }

    /// Runs a tool to completion; returns its exit status and stdout.
    @discardableResult
    func run(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let outcome = try TestEnvironment.execute(
            [TestEnvironment.executable(name)] + arguments + ["--log-level", "warning"], environment: ["DATABASE_URL": databaseURL])
        return (outcome.status, outcome.stdout)
    }

    /// Messages on a topic, from its watermarks.
    func messageCount(_ topic: String) async throws -> Int {
        try await KafkaTestCluster.messageCount(topic, bootstrap: bootstrap)
    }
}
