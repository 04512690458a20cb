import ArgumentParser
import Foundation

extension BenchCommand {
    struct RESTPush: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rest-push", abstract: "Brokers PUTting batches of messages to a running elasticc-api, concurrently.")

        @Option(help: "elasticc-api's base URL.") var url: String
        @Option(help: "A user that may push (a Broker).") var username: String
        @Option(help: "Its password.") var password: String
        @Option(help: "Concurrent clients.") var clients = 8
        @Option(help: "Batches per client.") var batches = 10
        @Option(help: "Messages per batch.") var batchSize = 1000
        @Option(help: "Also write the figures as JSON to this file.") var json: String?

        func run() async throws {
            let figures = try await RESTPushBenchmark(
                url: url, username: username, password: password, clients: clients, batches: batches, batchSize: batchSize
            ).run()
            print(
                String(
                    format: "rest-push: %d messages in %.2f s: %.0f messages/s; request latency p50 %.3f s, p99 %.3f s, max %.3f s",
                    figures.messages, figures.seconds, figures.perSecond, figures.p50Seconds, figures.p99Seconds, figures.maxSeconds))
            try write(figures, to: json)
        }
    }
}
