import ArgumentParser
import Foundation
import Logging

@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Print ElasticcStream's performance figures.",
        subcommands: [
            Codec.self, FakeBrokerThroughput.self, FakeBrokerFromStart.self, IngestThroughput.self, IngestFromStart.self, RESTPush.self, WebAPI.self,
        ])

    struct Codec: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Avro encode/decode of a typical alert on one core, with fastavro as the baseline.")

        @Option(help: "Seconds to measure each direction.")
        var seconds: Double = 3

        @Option(help: "fastavro baseline script (skipped when empty).")
        var fastavroScript: String = "scripts/fastavro_codec_bench.py"

        @Option(help: "Also write the figures as JSON to this file.")
        var json: String?

        func run() throws {
            let script = fastavroScript.isEmpty || !FileManager.default.fileExists(atPath: fastavroScript) ? nil : fastavroScript
            let figures = try CodecBenchmark(seconds: seconds, fastavroScript: script).run()
            print("codec: typical alert \(figures.alertBytes) bytes, one core")
            print(String(format: "  encode  %10.0f alerts/s  %7.1f MB/s", figures.encodeAlertsPerSecond, figures.encodeMegabytesPerSecond))
            print(String(format: "  decode  %10.0f alerts/s  %7.1f MB/s", figures.decodeAlertsPerSecond, figures.decodeMegabytesPerSecond))
            if let encode = figures.fastavroEncodeAlertsPerSecond, let decode = figures.fastavroDecodeAlertsPerSecond {
                print(String(format: "  fastavro encode %10.0f alerts/s (ours %.1fx)", encode, figures.encodeAlertsPerSecond / encode))
                print(String(format: "  fastavro decode %10.0f alerts/s (ours %.1fx)", decode, figures.decodeAlertsPerSecond / decode))
            }
            try write(figures, to: json)
        }
    }
}

struct FakeBrokerThroughput: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fake-broker", abstract: "Alerts in → classifications acknowledged out.")
    @Option(help: "Kafka bootstrap servers.") var bootstrap: String
    @Option(help: "Alert topic to fill (create it with many partitions: the mock keeps about 5 MB each).") var sourceTopic: String
    @Option(help: "Topic for the classifications.") var destinationTopic: String
    @Option(help: "Alerts to answer.") var alerts = 100_000
    @Option(help: "Write the figures as JSON here.") var json: String?

    func run() async throws {
        let figures = try await PipelineBenchmarks.fakeBroker(
            bootstrap: bootstrap, source: sourceTopic, destination: destinationTopic, alerts: alerts)
        print(
            String(
                format: "fake-broker: %d alerts in %.2f s: %.0f alerts/s in, %.0f classifications/s out, peak RSS %.0f MB",
                figures.items, figures.seconds, figures.perSecond, 2 * figures.perSecond, figures.peakResidentMegabytes))
        try write(figures, to: json)
    }
}

struct IngestThroughput: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ingest", abstract: "Broker messages into PostgreSQL through broker-poll's code.")
    @Option(help: "Kafka bootstrap servers.") var bootstrap: String
    @Option(help: "Topic to fill with broker messages.") var topic: String
    @Option(help: "Migrated PostgreSQL database.") var db: String
    @Option(help: "Messages to store.") var messages = 200_000
    @Option(help: "Write the figures as JSON here.") var json: String?
    @Flag(help: "Take the partitions directly, as broker-poll --instances 1 does, instead of joining a consumer group.") var alone = false

    func run() async throws {
        let figures = try await PipelineBenchmarks.ingest(bootstrap: bootstrap, topic: topic, conninfo: db, messages: messages, alone: alone)
        print(
            String(
                format:
                    "ingest%@: %d broker messages in %.2f s: %.0f messages/s after the first batch; %.0f messages/s from start (%.2f s); peak RSS %.0f MB",
                alone ? " (partitions taken directly)" : " (consumer group)", figures.items, figures.seconds, figures.perSecond,
                figures.fromStartPerSecond ?? 0, figures.fromStartSeconds ?? 0, figures.peakResidentMegabytes))
        try write(figures, to: json)
    }
}

func write<T: Encodable>(_ value: T, to path: String?) throws {
    guard let path else { return }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(value).write(to: URL(fileURLWithPath: path))
}
