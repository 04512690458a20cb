import ArgumentParser
import Foundation
import Logging

@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Print ElasticcStream's performance figures.",
        subcommands: [
            Codec.self, FakeBrokerFromStart.self, IngestFromStart.self, RESTPush.self, WebAPI.self,
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

func write<T: Encodable>(_ value: T, to path: String?) throws {
    guard let path else { return }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(value).write(to: URL(fileURLWithPath: path))
}
