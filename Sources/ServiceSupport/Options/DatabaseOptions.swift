import ArgumentParser
import Foundation
import Postgres

/// `--db`, with the environment fallbacks every tool shares.
public struct DatabaseOptions: ParsableArguments, Sendable {
    @Option(
        name: .customLong("db"),
        help: ArgumentHelp(
            "PostgreSQL conninfo or URL. Default: DATABASE_URL, else DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASS, else libpq's PG* variables.",
            valueName: "conninfo"))
    public var database: String?

    public init() {}

    public var resolved: (conninfo: String, source: DatabaseSettings.Source) {
        DatabaseSettings.resolve(flag: database, environment: ProcessInfo.processInfo.environment)
    }

    public func connect(applicationName: String) throws -> PostgresConnection {
        try PostgresConnection(resolved.conninfo, applicationName: applicationName)
    }
}
