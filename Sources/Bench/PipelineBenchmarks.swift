import Kafka
import Logging

/// What the pipeline benchmarks share: their logger and the backlog they fill a topic with.
enum PipelineBenchmarks {
    static let logger: Logger = {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        return logger
    }()

    /// Produces `count` messages built by `make` in chunks, waiting for every acknowledgement.
    static func fill(_ topic: String, bootstrap: String, count: Int, make: @escaping @Sendable (Int) -> [UInt8]) async throws {
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: bootstrap), logger: logger)
        var start = 0
        while start < count {
            let end = min(start + 20_000, count)
            let results = await producer.send((start..<end).map { KafkaOutgoingMessage(topic: topic, key: Array("\($0)".utf8), value: make($0)) })
            guard results.allSatisfy({ (try? $0.get()) != nil }) else { throw BenchError("producing the benchmark input failed") }
            start = end
        }
    }
}
