import Foundation
import Kafka

/// An executable timed as a user meets it: from its process start until its work shows up
/// outside it (rows committed, messages acknowledged), watched every 5 ms.
enum ProcessFromStart {
    struct Timing {
        var seconds: Double
        /// When progress was first seen, and how much there was by then.
        var firstProgressSeconds: Double
        var firstProgress: Int
        var peakResidentMegabytes: Double

        /// Items per second after the first progress was seen.
        func steadyRate(total: Int) -> Double {
            Double(total - firstProgress) / max(seconds - firstProgressSeconds, 1e-9)
        }
    }

    /// Starts `executable`, polls `progress` until it reaches `target`, then stops the process.
    static func run(executable: String, arguments: [String], target: Int, progress: () async throws -> Int) async throws -> Timing {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // Expected warnings (dead letters, undecodable alerts) stay off the bench's table.
        process.standardError = FileHandle.nullDevice
        let clock = ContinuousClock()
        let start = clock.now
        try process.run()
        var first: (at: ContinuousClock.Instant, count: Int)?
        var done = 0
        while done < target {
            try await Task.sleep(for: .milliseconds(5))
            guard process.isRunning else { throw BenchError("\(executable) exited early (status \(process.terminationStatus))") }
            done = try await progress()
            if first == nil, done > 0 { first = (clock.now, done) }
        }
        let end = clock.now
        process.terminate()
        process.waitUntilExit()
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        let seen = first ?? (end, target)
        return Timing(
            seconds: (end - start) / .seconds(1), firstProgressSeconds: (seen.at - start) / .seconds(1), firstProgress: seen.count,
            peakResidentMegabytes: Double(usage.ru_maxrss) / 1024)
    }

    /// A topic's messages (high minus low watermarks) and the sum of its high watermarks; nil
    /// for a topic the cluster does not have.
    static func size(of topic: String, asking consumer: KafkaConsumer) async throws -> (messages: Int, end: Int)? {
        guard let partitions = try await consumer.topics().first(where: { $0.name == topic })?.partitionCount else { return nil }
        var messages = 0
        var end = 0
        for partition in 0..<partitions {
            let marks = try await consumer.watermarks(topic: topic, partition: Int32(partition))
            messages += Int(marks.high - marks.low)
            end += Int(marks.high)
        }
        return (messages, end)
    }

    static func watermarkReader(bootstrap: String) throws -> KafkaConsumer {
        try KafkaConsumer(
            configuration: KafkaConfiguration(bootstrapServers: bootstrap), groupId: "bench-watermarks", logger: PipelineBenchmarks.logger)
    }
}
