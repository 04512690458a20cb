import ArgumentParser
import Foundation

extension BenchCommand {
    struct WebAPI: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "web-api", abstract: "Light curves and hot transients from a running elasticc-api on a promoted database.")

        @Option(help: "elasticc-api's base URL.") var url: String
        @Option(help: "A user to log in as.") var username: String
        @Option(help: "Its password.") var password: String
        @Option(help: "The database elasticc-api serves (to pick objects).") var db: String
        @Option(help: "Objects in the one big light-curve request.") var batchObjects = 1000
        @Option(help: "Concurrent clients asking for single light curves.") var clients = 100
        @Option(help: "Requests per client.") var requestsPerClient = 50
        @Option(help: "Also write the figures as JSON to this file.") var json: String?

        func run() async throws {
            let figures = try await WebAPIBenchmark(
                url: url, username: username, password: password, database: db, batchObjects: batchObjects, clients: clients,
                requestsPerClient: requestsPerClient
            ).run()
            print(
                String(
                    format: "web-api: ltcv of %d objects (%d points, %d bytes): median %.3f s, max %.3f s", figures.batchObjects,
                    figures.batchPoints, figures.batchBytes, figures.batchMedianSeconds, figures.batchMaxSeconds))
            print(
                String(
                    format: "web-api: gethottransients, 30 days: %d objects, %d points: median %.3f s, max %.3f s", figures.hotObjects,
                    figures.hotPoints, figures.hotMedianSeconds, figures.hotMaxSeconds))
            print(
                String(
                    format: "web-api: %d clients, single light curves: %d requests, %.0f requests/s, p50 %.4f s, p99 %.4f s", clients,
                    figures.singleRequests, figures.singlePerSecond, figures.singleP50Seconds, figures.singleP99Seconds))
            try write(figures, to: json)
        }
    }
}
