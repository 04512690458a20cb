import ArgumentParser
import CommandSupport
import Foundation
import Hummingbird
import Postgres
import TOMWebAPI

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the TOM's login and brokers' REST push (PUT /elasticc2/brokermessage/).",
        discussion: "Stops gracefully on SIGTERM and SIGINT: requests in flight finish.")

    @Option(help: "Address to listen on, HOST:PORT (port 0: any free port, written to the ready file).") var listen = "127.0.0.1:8080"
    @Option(help: "Database connections for requests.") var poolSize = 8
    @OptionGroup var readiness: ReadinessOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard address != nil else { throw ValidationError("--listen must look like HOST:PORT, as 127.0.0.1:8080.") }
        guard poolSize > 0 else { throw ValidationError("--pool-size must be positive.") }
    }

    var address: (host: String, port: Int)? {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return host.isEmpty ? nil : (host, port)
    }

    func run() async throws {
        ParseOnly.exitIfRequested()
        let logger = logging.bootstrap(label: "elasticc-api")
        guard let (host, port) = address else { return }
        let pool = PostgresPool(conninfo: database.resolved.conninfo, applicationName: "elasticc-api", maximumConnections: poolSize)
        let server = ElasticcAPIServer(pool: pool, logger: logger)
        let readiness = self.readiness
        let application = Application(
            router: server.router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "elasticc-api"),
            onServerRunning: { channel in
                let bound = channel.localAddress.flatMap { address in address.port.map { "\(host):\($0)" } } ?? "\(host):\(port)"
                logger.info("elasticc-api listening", metadata: ["address": "\(bound)"])
                // The address actually bound: with port 0, the one the system chose.
                readiness.write(detail: bound)
            },
            logger: logger)
        try await application.runService()
        pool.close()
    }
}
