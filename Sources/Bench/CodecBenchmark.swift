import AvroSchemas
import Foundation

/// Encode and decode throughput of one typical alert on one core, beside fastavro's on the
/// same bytes.
struct CodecBenchmark {
    var seconds: Double
    var fastavroScript: String?

    struct Figures: Codable {
        var alertBytes: Int
        var encodeAlertsPerSecond: Double
        var decodeAlertsPerSecond: Double
        var encodeMegabytesPerSecond: Double
        var decodeMegabytesPerSecond: Double
        var fastavroEncodeAlertsPerSecond: Double?
        var fastavroDecodeAlertsPerSecond: Double?
    }

    func run() throws -> Figures {
        let alert = TypicalAlert.make()
        let bytes = AvroCodec.encode(alert)
        let encodeRate = measure {
            var total = 0
            for _ in 0..<1000 { total &+= AvroCodec.encode(alert).count }
            return total
        }
        let decodeRate = try measureThrowing {
            var total: Int64 = 0
            for _ in 0..<1000 { total &+= try AvroCodec.decode(Alert.self, from: bytes).alertId }
            return Int(truncatingIfNeeded: total)
        }
        var figures = Figures(
            alertBytes: bytes.count, encodeAlertsPerSecond: encodeRate, decodeAlertsPerSecond: decodeRate,
            encodeMegabytesPerSecond: encodeRate * Double(bytes.count) / 1e6, decodeMegabytesPerSecond: decodeRate * Double(bytes.count) / 1e6)
        if let fastavroScript {
            let (encode, decode) = try fastavro(script: fastavroScript, bytes: bytes)
            figures.fastavroEncodeAlertsPerSecond = encode
            figures.fastavroDecodeAlertsPerSecond = decode
        }
        return figures
    }

    /// Alerts per second for a body that handles 1000 alerts, best of repeated runs.
    private func measure(_ body: () -> Int) -> Double {
        (try? measureThrowing(body)) ?? 0
    }

    private func measureThrowing(_ body: () throws -> Int) throws -> Double {
        let clock = ContinuousClock()
        var sink = 0
        for _ in 0..<20 { sink &+= try body() }  // warm-up
        var best = 0.0
        let end = clock.now + .milliseconds(Int(seconds * 1000))
        repeat {
            let start = clock.now
            sink &+= try body()
            let elapsed = (clock.now - start) / .seconds(1)
            best = max(best, 1000 / elapsed)
        } while clock.now < end
        if sink == 42 { print("") }  // keeps the work observable
        return best
    }

    private func fastavro(script: String, bytes: [UInt8]) throws -> (Double, Double) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, bytes.map { String(format: "%02x", $0) }.joined(), String(seconds)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let parts = String(decoding: data, as: UTF8.self).split(separator: " ").compactMap {
            Double($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        guard parts.count == 2 else { throw BenchError("fastavro benchmark printed no figures") }
        return (parts[0], parts[1])
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
