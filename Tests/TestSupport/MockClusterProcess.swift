import Foundation

/// librdkafka's mock cluster in a `kafka-mock` process of its own, for faults that take brokers
/// down: bringing one up again can abort the process that holds the mock (its old port taken
/// by another connection meanwhile), which must be the mock alone, not the test process.
public final class MockClusterProcess: @unchecked Sendable {
    // Written once in init, read-only after.
    public let bootstrapServers: String
    private let process: Process

    /// A cluster of `brokers` with each topic created with its partition count.
    public init(brokers: Int = 1, topics: [(name: String, partitions: Int)]) throws {
        process = TestEnvironment.launch(
            [TestEnvironment.executable("kafka-mock"), "--brokers", "\(brokers)", "--log-level", "warning"]
                + topics.flatMap { ["--topic", "\($0.name):\($0.partitions)"] })
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        self.output = output.fileHandleForReading
        bootstrapServers = Self.line(from: output.fileHandleForReading)
    }

    private let output: FileHandle

    private static func line(from handle: FileHandle) -> String {
        var line = Data()
        while let byte = try? handle.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
        return String(decoding: line, as: UTF8.self)
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// Every broker off the network (connections drop, new ones fail), or back on it; returns
    /// once the mock has done it (or has died: then `isRunning` is false).
    public func setBrokersDown() { signal(SIGUSR1, acknowledged: "brokers down") }
    public func setBrokersUp() { signal(SIGUSR2, acknowledged: "brokers up") }

    private func signal(_ number: Int32, acknowledged: String) {
        kill(process.processIdentifier, number)
        while process.isRunning, Self.line(from: output) != acknowledged {}
    }
    public var isRunning: Bool { process.isRunning }
}
