import ArgumentParser
import AvroSchemas
import FakeBrokering
import Foundation
import Kafka

/// fake-broker as a user runs it: the real executable started against a backlog of alerts,
/// timed from its process start until the cluster holds every classification it owes (seen
/// through the destination topic's watermarks, read every 5 ms).
struct FakeBrokerFromStart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-broker-from-start", abstract: "fake-broker from process start against a backlog of alerts.")
    @Option(help: "Kafka bootstrap servers.") var bootstrap: String
    @Option(help: "Alert topic to fill (create it with many partitions: the mock keeps about 5 MB each).") var sourceTopic: String
    @Option(help: "Topic for the classifications (each run adds to it).") var destinationTopic: String
    @Option(help: "The fake-broker executable.") var fakeBroker: String
    @Option(help: "Alerts in the backlog.") var alerts = 100_000
    @Option(help: "Runs; the figures are their median, min and max.") var runs = 3
    @Flag(help: "Join a consumer group instead of taking the partitions (--instances 1).") var group = false
    @Option(help: "Write the figures as JSON here.") var json: String?

    struct Run: Codable {
        var fromStartSeconds: Double
        var toFirstAnswerSeconds: Double
        var steadyPerSecond: Double
        var peakResidentMegabytes: Double
    }

    struct Figures: Codable {
        var alerts: Int
        var runs: [Run]
        var fromStartPerSecond: Spread
        var steadyPerSecond: Spread
        var toFirstAnswerSeconds: Spread
        var peakResidentMegabytes: Double
    }

    func run() async throws {
        try await PipelineBenchmarks.fill(sourceTopic, bootstrap: bootstrap, count: alerts) {
            AvroCodec.encode(TypicalAlert.make(alertId: Int64($0)))
        }
        let answersPerAlert = Classifiers.all.count
        let watcher = try ProcessFromStart.watermarkReader(bootstrap: bootstrap)
        // Every run reads the whole source topic again: this fill and anything an earlier one left.
        guard let alerts = try await ProcessFromStart.size(of: sourceTopic, asking: watcher)?.messages else {
            throw BenchError("topic \(sourceTopic) not found")
        }
        var results: [Run] = []
        for number in 0..<runs {
            let before = try await ProcessFromStart.size(of: destinationTopic, asking: watcher)?.end ?? 0
            let timing = try await ProcessFromStart.run(
                executable: fakeBroker,
                arguments: ["--source", bootstrap, "-t", sourceTopic, "-u", destinationTopic, "-g", "bench-fb-\(UUID().uuidString)", "--reset"]
                    + ["--batch-size", "10000", "--log-level", "error"] + (group ? [] : ["--instances", "1"]),
                target: alerts * answersPerAlert
            ) { (try await ProcessFromStart.size(of: destinationTopic, asking: watcher)?.end ?? 0) - before }
            results.append(
                Run(
                    fromStartSeconds: timing.seconds, toFirstAnswerSeconds: timing.firstProgressSeconds,
                    steadyPerSecond: timing.steadyRate(total: alerts * answersPerAlert) / Double(answersPerAlert),
                    peakResidentMegabytes: timing.peakResidentMegabytes))
            let last = results[number]
            print(
                String(
                    format: "  run %d: %.2f s from process start (%.0f alerts/s), first answers after %.2f s, steady %.0f alerts/s",
                    number + 1, last.fromStartSeconds, Double(alerts) / last.fromStartSeconds, last.toFirstAnswerSeconds, last.steadyPerSecond))
        }
        await watcher.close()
        let fromStart = Spread(results.map { Double(alerts) / $0.fromStartSeconds })
        let figures = Figures(
            alerts: alerts, runs: results, fromStartPerSecond: fromStart, steadyPerSecond: Spread(results.map(\.steadyPerSecond)),
            toFirstAnswerSeconds: Spread(results.map(\.toFirstAnswerSeconds)), peakResidentMegabytes: results.map(\.peakResidentMegabytes).max() ?? 0)
        print(
            String(
                format: "fake-broker from process start (%@): %d alerts: %.0f alerts/s (%.0f-%.0f), steady %.0f/s, first answers after %.2f s",
                group ? "consumer group" : "--instances 1", alerts, fromStart.median, fromStart.min, fromStart.max, figures.steadyPerSecond.median,
                figures.toFirstAnswerSeconds.median))
        try write(figures, to: json)
    }
}
