import ArgumentParser
import Foundation
import HeapTuning
import Hummingbird
import Postgres
import ServiceSupport
import TOMDatabase
import WebAPI

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the TOM's login and brokers' REST push (PUT /elasticc2/brokermessage/).",
        discussion: "Stops gracefully on SIGTERM and SIGINT: requests in flight finish.")

    @Option(help: "Address to listen on, HOST:PORT (port 0: any free port, written to the ready file).") var listen = "127.0.0.1:8080"
    @Option(help: "Database connections for requests.") var poolSize = 8
    @Option(
        help: ArgumentHelp(
            "PostgreSQL conninfo of the read-only role db/runsqlquery/ runs as (create it with `ppdb grant-query-role`). Default: SQL_QUERY_DATABASE_URL; without either, that endpoint answers 503.",
            valueName: "conninfo"))
    var sqlQueryDb: String?
    @Option(help: "Seconds a db/runsqlquery/ request may run before it is cancelled.") var sqlTimeout = 300
    @Option(help: "Most rows a db/runsqlquery/ answer may hold.") var sqlRowLimit = 100_000
    @Option(help: "The diagnostic pages count a broker message once it is this many seconds old.") var summarySettle = 120
    @OptionGroup var readiness: ReadinessOptions
    @OptionGroup var monitoring: MonitoringOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard address != nil else { throw ValidationError("--listen must look like HOST:PORT, as 127.0.0.1:8080.") }
        guard poolSize > 0 else { throw ValidationError("--pool-size must be positive.") }
        guard sqlTimeout > 0, sqlRowLimit > 0 else { throw ValidationError("--sql-timeout and --sql-row-limit must be positive.") }
    }

    var address: (host: String, port: Int)? { MonitoringOptions.hostAndPort(listen) }

    func run() async throws {
        ParseOnly.exitIfRequested()
        HeapTuning.apply()
        let logger = logging.bootstrap(label: "elasticc-api")
        MonitoringServer.bootstrap()
        guard let (host, port) = address else { return }
        let conninfo = database.resolved.conninfo
        let pool = PostgresPool(conninfo: conninfo, applicationName: "elasticc-api", maximumConnections: poolSize)
        var settings = APISettings()
        settings.summarySettleSeconds = summarySettle
        if let conninfo = sqlQueryDb ?? ProcessInfo.processInfo.environment["SQL_QUERY_DATABASE_URL"] {
            let runner = ReadOnlyQueryRunner(conninfo: conninfo, timeout: .seconds(sqlTimeout), rowLimit: sqlRowLimit)
            // Anyone with an account may send SQL: the role must be one that can only read.
            let problems = try await runner.roleProblems(privateTables: QueryRole.privateTablePatterns)
            guard problems.isEmpty else {
                throw ValidationError("refusing --sql-query-db: \(problems.joined(separator: "; ")) (see `ppdb grant-query-role`)")
            }
            settings.sqlQueries = runner
        }
        let server = ElasticcAPIServer(pool: pool, settings: settings, logger: logger)
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
        let monitor = monitoring.address.map { address in
            MonitoringServer.service(
                listen: address, readiness: { MonitoringServer.Readiness([await ReadinessChecks.database(conninfo: conninfo)]) }, logger: logger)
        }
        let refresher = PageSumsRefresher(pool: pool, settleSeconds: summarySettle, logger: logger)
        try await ToolServices.run(application, alongside: [refresher] + (monitor.map { [$0] } ?? []), logger: logger)
        pool.close()
    }
}
