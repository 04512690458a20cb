import ArgumentParser
import CommandSupport
import Foundation
import Logging
import PPDB

@main
struct PPDBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppdb",
        abstract: "Manage the TOM's PPDB tables: migrate, load data, report.",
        subcommands: [Migrate.self, Restore.self, Stats.self, ResetSent.self])
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the TOM tables this pipeline uses and our own tables (idempotent).")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = logging.bootstrap(label: "ppdb")
        let report = try Migrator.migrate(try database.connect(applicationName: "ppdb migrate"), logger: logger)
        print("migrations applied: \(report.appliedVersions.isEmpty ? "none (up to date)" : report.appliedVersions.map(String.init).joined(separator: ", "))")
        if !report.createdTables.isEmpty { print("tables created: \(report.createdTables.joined(separator: ", "))") }
        print("q3c sky indexes: \(report.q3cAvailable ? "present" : "skipped (q3c extension not available)")")
    }
}

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a TOM database dump (pg_dump custom format) into migrated tables.",
        discussion: "Restores the PPDB, truth and broker tables with pg_restore --data-only in one transaction.")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions
    @Argument(help: "The .psqlc dump, such as elasticc2_alertcycle_complete.psqlc.") var dump: String

    func validate() throws {
        guard FileManager.default.fileExists(atPath: dump) else { throw ValidationError("No dump file at \(dump).") }
    }

    func run() throws {
        _ = logging.bootstrap(label: "ppdb")
        try SnapshotRestorer.restore(dump: dump, conninfo: database.resolved.conninfo)
        print(try StatisticsTable.render(PPDBStatistics.read(database.connect(applicationName: "ppdb restore"))))
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print PPDB and broker-message counts.")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() throws {
        _ = logging.bootstrap(label: "ppdb")
        print(try StatisticsTable.render(PPDBStatistics.read(database.connect(applicationName: "ppdb stats"))))
    }
}

struct ResetSent: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Clear alertsenttimestamp on every alert, as the TOM's tests do.")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() throws {
        _ = logging.bootstrap(label: "ppdb")
        let cleared = try PPDBStatistics.resetSent(database.connect(applicationName: "ppdb reset-sent"))
        print("alerts marked unsent: \(cleared)")
    }
}

enum StatisticsTable {
    static func render(_ stats: PPDBStatistics) -> String {
        var lines = [
            "objects            \(stats.objects) (\(stats.ddfObjects) DDF)",
            "sources            \(stats.sources)",
            "forced sources     \(stats.forcedSources)",
            "alerts             \(stats.alerts) (\(stats.alertsSent) sent, \(stats.alertsUnsent) unsent)",
            "simulated date     " + (stats.simulatedDateReached.map { String(format: "MJD %.5f", $0) } ?? "none sent"),
            "truth rows         \(stats.truthRows)",
            "broker messages    \(stats.brokerMessages)",
        ]
        for (classifier, messages) in stats.messagesPerClassifier {
            lines.append("  \(classifier): \(messages)")
        }
        return lines.joined(separator: "\n")
    }
}
