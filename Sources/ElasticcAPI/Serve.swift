import ArgumentParser
import Foundation
import HeapTuning
import Hummingbird
import Postgres
import ServiceLifecycle
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
            "PostgreSQL conninfo of the read-only role db/runsqlquery/ runs as, which reads the broker and taxonomy tables only (create it with `ppdb grant-query-role ROLE`). Default: SQL_QUERY_DATABASE_URL; without either, that endpoint answers 503.",
            valueName: "conninfo"))
    var sqlQueryDb: String?
    @Option(
        help: ArgumentHelp(
            "PostgreSQL conninfo of the read-only role the SQL of the group elasticc_admin runs as, which reads every science table (`ppdb grant-query-role` makes it as ROLE_admin). Default: SQL_ADMIN_QUERY_DATABASE_URL; without either, elasticc_admin's SQL runs as --sql-query-db's role.",
            valueName: "conninfo"))
    var sqlAdminQueryDb: String?
    @Option(help: "Seconds a db/runsqlquery/ request may run before it is cancelled.") var sqlTimeout = 300
    @Option(help: "Most rows a db/runsqlquery/ answer may hold.") var sqlRowLimit = 100_000
    @Option(help: "Most bytes of a db/runsqlquery/ answer.") var sqlAnswerBytes = SQLQueryLimits().answerBytes
    @Option(help: "Most bytes of a db/runsqlquery/ request's SQL once its %(name)s placeholders are expanded.")
    var sqlExpandedBytes = SQLQueryLimits().expandedSQLBytes
    @Option(help: "Most bytes a db/runsqlquery/ request's temporary tables may hold after any of its statements.")
    var sqlTempBytes = SQLQueryLimits().temporaryTableBytes
    @Option(help: "db/runsqlquery/ requests one user may have running at once.") var sqlConcurrentPerUser = SQLQueryLimits().concurrentPerUser
    @Option(help: "db/runsqlquery/ requests running at once in all; keep it under the query role's CONNECTION LIMIT.")
    var sqlConcurrent = SQLQueryLimits().concurrentOverall
    @Option(help: "Long queries (db/submitsqlquery/) this server runs at once; 0 leaves them to other servers on the database.")
    var queryWorkers = 1
    @Option(help: "Seconds a long query may run before it is cancelled and marked failed.") var longQueryTimeout = 86_400
    @Option(
        help: ArgumentHelp(
            "Where long queries' results are kept; servers on one database share it (the TOM's /query_results). Default: elasticc-api-query-results in the temporary directory, writable by any user, as a container's /tmp is.",
            valueName: "directory"))
    var queryResultsDir = LongQuerySettings().resultsDirectory.path
    @Option(help: "Days finished long queries and their results are kept.") var queryResultsDays = 7.0
    @Option(help: "Most bytes of a long query's result (as PostgreSQL's text).") var longQueryResultBytes = LongQuerySettings().resultByteLimit
    @Option(help: "Long queries one user may have waiting or running.") var longQueriesPerUser = LongQuerySettings().queuedPerUser
    @Option(help: "The diagnostic pages count a broker message once it is this many seconds old.") var summarySettle = 120
    @Flag(help: "Mark the session and CSRF cookies Secure (serve behind HTTPS).") var secureCookies = false
    @Option(
        help:
            "The server's public address (https://tom.example.org): the base of Location headers (relative without it), and an origin unsafe requests may come from."
    )
    var publicUrl: String?
    @Option(
        name: .customLong("trusted-origin"), help: "Another origin unsafe requests may come from (Django's CSRF_TRUSTED_ORIGINS); repeat for more.")
    var trustedOrigins: [String] = []
    @Flag(help: "Label request metrics with broker account names (the metrics listener needs no login).") var metricsPerUser = false
    @OptionGroup var readiness: ReadinessOptions
    @OptionGroup var monitoring: MonitoringOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard address != nil else { throw ValidationError("--listen must look like HOST:PORT, as 127.0.0.1:8080.") }
        guard poolSize > 0 else { throw ValidationError("--pool-size must be positive.") }
        guard sqlTimeout > 0, sqlRowLimit > 0, sqlAnswerBytes > 0, sqlExpandedBytes > 0, sqlTempBytes > 0, sqlConcurrentPerUser > 0, sqlConcurrent > 0
        else {
            throw ValidationError(
                "--sql-timeout, --sql-row-limit, --sql-answer-bytes, --sql-expanded-bytes, --sql-temp-bytes and the --sql-concurrent limits must be positive."
            )
        }
        guard queryWorkers >= 0, longQueryTimeout > 0, queryResultsDays > 0, longQueryResultBytes > 0, longQueriesPerUser > 0 else {
            throw ValidationError(
                "--query-workers must be 0 or more; --long-query-timeout, --query-results-days, --long-query-result-bytes and --long-queries-per-user positive."
            )
        }
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
        settings.secureCookies = secureCookies
        settings.publicURL = publicUrl
        settings.trustedOrigins = trustedOrigins
        settings.metricsPerUser = metricsPerUser
        settings.longQueries.workers = queryWorkers
        settings.longQueries.timeout = .seconds(longQueryTimeout)
        settings.longQueries.resultsDirectory = URL(fileURLWithPath: queryResultsDir, isDirectory: true)
        settings.longQueries.resultDays = queryResultsDays
        settings.longQueries.resultByteLimit = longQueryResultBytes
        settings.longQueries.queuedPerUser = longQueriesPerUser
        let environment = ProcessInfo.processInfo.environment
        let plainConninfo = sqlQueryDb ?? environment["SQL_QUERY_DATABASE_URL"]
        let adminConninfo = sqlAdminQueryDb ?? environment["SQL_ADMIN_QUERY_DATABASE_URL"]
        if adminConninfo != nil && plainConninfo == nil {
            throw ValidationError("--sql-admin-query-db needs --sql-query-db too: everybody else's SQL runs as that role")
        }
        for (option, conninfo, scope) in [
            ("--sql-query-db", plainConninfo, QueryRole.Scope.brokerTables), ("--sql-admin-query-db", adminConninfo, .everything),
        ] {
            guard let conninfo else { continue }
            var limits = SQLQueryLimits()
            limits.rows = sqlRowLimit
            limits.answerBytes = sqlAnswerBytes
            limits.expandedSQLBytes = sqlExpandedBytes
            limits.temporaryTableBytes = sqlTempBytes
            limits.concurrentPerUser = sqlConcurrentPerUser
            limits.concurrentOverall = sqlConcurrent
            let runner = ReadOnlyQueryRunner(conninfo: conninfo, timeout: .seconds(sqlTimeout), limits: limits)
            // Anyone with an account may send SQL: the role must be one that can only read, and only its share.
            let problems = try await runner.roleProblems(
                privateTables: QueryRole.privateTablePatterns, readablePatterns: scope.readablePatterns,
                guardedFunctionsCondition: QueryRole.guardedFunctionsCondition)
            guard problems.isEmpty else {
                throw ValidationError("refusing \(option): \(problems.joined(separator: "; ")) (see `ppdb grant-query-role`)")
            }
            if scope == .everything { settings.sqlAdminQueries = runner } else { settings.sqlQueries = runner }
        }
        let doorbell = LongQueryDoorbell()
        let server = ElasticcAPIServer(pool: pool, settings: settings, doorbell: doorbell, logger: logger)
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
        var background: [any Service] = [refresher] + (monitor.map { [$0] } ?? [])
        if settings.sqlQueries != nil {
            background.append(LongQueryWorkers(conninfo: conninfo, api: settings, doorbell: doorbell, logger: logger))
        }
        try await ToolServices.run(application, alongside: background, logger: logger)
        pool.close()
    }
}
