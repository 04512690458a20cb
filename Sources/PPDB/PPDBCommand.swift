import ArgumentParser
import Foundation
import Logging
import PPDBLoading
import ServiceSupport
import TOMDatabase

@main
struct PPDBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppdb",
        abstract: "Manage the TOM's PPDB tables: migrate, load data, report.",
        subcommands: [
            Migrate.self, Restore.self, LoadSNANA.self, Synth.self, Stats.self, ResetSent.self, UpdateSources.self, GrantQueryRole.self,
            GrantServiceRole.self,
            Replicate.self, MakeSubset.self, ImportSubset.self,
        ])
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the TOM tables this pipeline uses and our own tables (idempotent).")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() throws {
        ParseOnly.exitIfRequested()
        let logger = logging.bootstrap(label: "ppdb")
        let report = try Migrator.migrate(try database.connect(applicationName: "ppdb migrate"), logger: logger)
        print(
            "migrations applied: \(report.appliedVersions.isEmpty ? "none (up to date)" : report.appliedVersions.map(String.init).joined(separator: ", "))"
        )
        if !report.createdTables.isEmpty { print("tables created: \(report.createdTables.joined(separator: ", "))") }
        let kept = report.existingTables
        if !kept.isEmpty { print("tables already there, left as they are: \(kept.joined(separator: ", "))") }
        if !report.filledTables.isEmpty { print("filled with the TOM's class-id taxonomy: \(report.filledTables.joined(separator: ", "))") }
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
    @Flag(help: "Restore only the PPDB and truth tables, not the broker tables.") var ppdbOnly = false

    func validate() throws {
        guard FileManager.default.fileExists(atPath: dump) else { throw ValidationError("No dump file at \(dump).") }
    }

    func run() throws {
        ParseOnly.exitIfRequested()
        _ = logging.bootstrap(label: "ppdb")
        try SnapshotRestorer.restore(dump: dump, conninfo: database.resolved.conninfo, includeBrokerTables: !ppdbOnly)
        print(try StatisticsTable.render(PPDBStatistics.read(database.connect(applicationName: "ppdb restore"))))
    }
}

struct MakeSubset: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-subset",
        abstract: "Write a subset dump as the TOM's make_elasticc2_subset_dump.py does (its importer loads it).",
        discussion: """
            A pg_dump custom archive of temp_copy_* tables: OBJECTS PPDB objects picked at random with their sources, forced \
            sources, alerts and truth, every classifier, and the messages about the copied alerts. The copy tables are dropped after.
            """)
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions
    @Option(help: "PPDB objects to copy.") var objects = 1000
    @Flag(help: "Only objects with at least one sent alert.") var onlySent = false
    @Option(help: "A seed between -1 and 1 (PostgreSQL's setseed): the same objects each time on the same database.") var seed: Double?
    @Argument(help: "The dump to write (the TOM names them elasticc2_dump_<N>obj.sql).") var output: String

    func validate() throws {
        guard objects > 0 else { throw ValidationError("--objects must be positive.") }
        if let seed, !(-1...1).contains(seed) { throw ValidationError("--seed must be between -1 and 1.") }
    }

    func run() throws {
        ParseOnly.exitIfRequested()
        _ = logging.bootstrap(label: "ppdb")
        let counts = try SubsetDump.make(
            objects: objects, onlySent: onlySent, seed: seed, conninfo: database.resolved.conninfo, output: output)
        for count in counts { print("\(count.table): \(count.rows) rows") }
        print("wrote \(output)")
    }
}

struct ImportSubset: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-subset",
        abstract: "Load a subset dump (the TOM's elasticc2_dump_<N>obj.sql, or make-subset's) into a migrated database.",
        discussion: """
            In one transaction: rows whose key is already there are skipped, the identity sequences move past the new ids, and \
            no temp_copy_* table is left behind, even when it fails. Needs no postgres_ro role.
            """)
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions
    @Argument(help: "The subset dump.") var dump: String

    func run() throws {
        ParseOnly.exitIfRequested()
        _ = logging.bootstrap(label: "ppdb")
        for count in try SubsetDump.load(dump: dump, conninfo: database.resolved.conninfo) {
            print("\(count.table): \(count.added) of \(count.rows) rows added\(count.added < count.rows ? " (the others were there)" : "")")
        }
    }
}

struct LoadSNANA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load-snana",
        abstract: "Load SNANA FITS output (*HEAD.FITS.gz / *PHOT.FITS.gz pairs and <dir>/<dirname>.DUMP) into the PPDB or the training tables.",
        discussion: """
            The TOM's load_snana_fits, same flags. Without --do, a dry run: every file is read and counted, nothing is written \
            (as the TOM's). --ppdb is the default; --train loads the TOM's training tables instead.
            """)
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions
    @Option(name: [.customShort("d"), .customLong("directories")], parsing: .upToNextOption, help: "Directories of the HEAD and PHOT files.")
    var directoryOptions: [String] = []
    @Argument(help: "More directories (as -d).") var directories: [String] = []
    @Option(
        name: [.customShort("f"), .customLong("files")], parsing: .upToNextOption,
        help: "Names of the *HEAD.FITS.gz files to load in each directory; default: all of them.")
    var files: [String] = []
    @Option(name: [.customShort("n"), .customLong("nprocs")], help: "File pairs read side by side, ahead of the one being loaded.")
    var nprocs = 5
    @Flag(help: "Log at debug level.") var verbose = false
    @Option(name: [.customShort("s"), .customLong("simversion")], help: "What goes into the simversion column.") var simversion = "2023-04-01"
    @Option(
        name: [.customShort("m"), .customLong("max-sources-per-object")],
        help: "Most forced sources of one object; source ids are SNID × this + index, so make it big enough.")
    var maxSourcesPerObject: Int64 = 100_000
    @Option(name: [.customShort("p"), .customLong("photflag-detect")], help: "The PHOTFLAG bit (its value, 2^bit) of a detection.")
    var photflagDetect: Int64 = 4096
    @Option(name: [.customShort("z"), .customLong("snana-zeropoint")], help: "The zero point of SNANA's FLUXCAL.") var snanaZeropoint = 27.5
    @Option(name: [.customShort("a"), .customLong("alert-zeropoint")], help: "The zero point of the alerts' and the tables' fluxes.")
    var alertZeropoint = 31.4
    @Flag(help: "Load the PPDB tables (the default).") var ppdb = false
    @Flag(help: "Load the TOM's training tables (elasticc2_training*).") var train = false
    @Flag(name: .customLong("dont-disable-indexes-fks"), help: "Keep the tables' indexes during the load, even into empty tables.")
    var dontDisableIndexesFks = false
    @Flag(name: .customLong("do"), help: "Load; without it, read and count only.") var really = false

    var allDirectories: [String] { directoryOptions + directories }

    func validate() throws {
        guard !allDirectories.isEmpty else { throw ValidationError("Give at least one SNANA directory (-d DIR).") }
        guard !(ppdb && train) else { throw ValidationError("Give only one of --ppdb and --train.") }
        guard maxSourcesPerObject > 0, photflagDetect > 0, nprocs > 0 else {
            throw ValidationError("--max-sources-per-object, --photflag-detect and --nprocs must be positive.")
        }
        for directory in allDirectories {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("\(directory) is not a directory.")
            }
        }
    }

    var options: SNANALoader.Options {
        var options = SNANALoader.Options()
        options.simVersion = simversion
        options.maxSourcesPerObject = maxSourcesPerObject
        options.photflagDetect = photflagDetect
        options.snanaZeropoint = snanaZeropoint
        options.alertZeropoint = alertZeropoint
        options.tables = train ? .training : .ppdb
        options.files = files
        options.readers = nprocs
        options.keepIndexes = dontDisableIndexesFks
        options.dryRun = !really
        return options
    }

    func run() throws {
        ParseOnly.exitIfRequested()
        var logging = self.logging
        if verbose { logging.logLevel = "debug" }
        let logger = logging.bootstrap(label: "ppdb")
        let connection = really ? try database.connect(applicationName: "ppdb load-snana") : nil
        let summary = try SNANALoader(connection: connection, options: options, logger: logger).load(directories: allDirectories)
        if !really {
            print(
                "load-snana dry run (add --do to load): would load \(summary.objects) objects, \(summary.sources) sources = alerts, \(summary.forcedSources) forced sources into \(options.tables.objects) and its companions"
            )
            return
        }
        print(
            String(
                format: "load-snana: %d objects, %d sources = alerts, %d forced sources, %d truth rows in %.2f s (%.0f forced sources/s)",
                summary.objects, summary.sources, summary.forcedSources, summary.truthRows, summary.seconds,
                Double(summary.forcedSources) / max(summary.seconds, 1e-9)))
    }
}

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate realistic ELAsTiCC-like PPDB data at any scale (same seed, same rows).")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions
    @Option(help: "Number of objects (about 5 alerts and 150 forced sources each).") var objects: Int = 1000
    @Option(help: "Random seed.") var seed: UInt64 = 1
    // The TOM's snapshot has no DDF object at all; a small share keeps the DDF topics exercised.
    @Option(help: "Fraction of objects in deep-drilling fields.") var ddfFraction: Double = 0.01
    @Option(help: "First night of the simulated survey (MJD).") var startMjd: Double = 60_500
    @Option(help: "Length of the simulated survey in days.") var days: Double = 365
    @Option(help: "Id of the first object (sources are id × 100000 + n).") var firstObjectId: Int64 = 10_000_000
    @Option(
        help:
            "Days of forced photometry after an object's last detection (the TOM snapshot's shape); 0 leaves out rows no alert carries and update-sources never promotes."
    )
    var forcedDaysAfterDetection: Double = SynthGenerator.snapshotForcedDaysAfterDetection

    func validate() throws {
        guard objects > 0 else { throw ValidationError("--objects must be positive.") }
        guard (0...1).contains(ddfFraction) else { throw ValidationError("--ddf-fraction must be between 0 and 1.") }
        guard days > 0 else { throw ValidationError("--days must be positive.") }
        guard forcedDaysAfterDetection >= 0, forcedDaysAfterDetection.isFinite else {
            throw ValidationError("--forced-days-after-detection must be 0 or more.")
        }
        guard firstObjectId > 0, firstObjectId + Int64(objects) < 90_000_000_000_000 else {
            throw ValidationError("--first-object-id and --objects must keep source ids (id × 100000) within bigint.")
        }
    }

    func run() throws {
        ParseOnly.exitIfRequested()
        let logger = logging.bootstrap(label: "ppdb")
        let settings = SynthGenerator.Settings(
            objects: objects, seed: seed, ddfFraction: ddfFraction, startMJD: startMjd,
            days: days, firstObjectId: firstObjectId, forcedDaysAfterDetection: forcedDaysAfterDetection)
        let summary = try SynthLoader(settings: settings, conninfo: database.resolved.conninfo, logger: logger).run()
        print(
            String(
                format: "synth: %d objects (%d DDF), %d sources = alerts, %d forced sources in %.1f s (%.0f alerts/s, %.0f forced sources/s)%@",
                summary.objects, summary.ddfObjects, summary.sources, summary.forcedSources, summary.seconds,
                Double(summary.sources) / summary.seconds, Double(summary.forcedSources) / summary.seconds,
                summary.deferredIndexes ? "; indexes built after the rows" : ""))
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print PPDB and broker-message counts.")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() throws {
        ParseOnly.exitIfRequested()
        _ = logging.bootstrap(label: "ppdb")
        print(try StatisticsTable.render(PPDBStatistics.read(database.connect(applicationName: "ppdb stats"))))
    }
}

struct ResetSent: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Clear alertsenttimestamp on every alert, as the TOM's tests do.")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() throws {
        ParseOnly.exitIfRequested()
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

struct UpdateSources: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update-sources",
        abstract: "Copy the objects, sources and forced sources brokers answered for into the TOM's tables (update_elasticc2_sources).",
        discussion: """
            Processes the source ids in elasticc2_brokersourceids (with --doall: every diasource_id in elasticc2_brokermessage), \
            all in one transaction, and consumes them (not with --doall).
            """)
    @Flag(help: "Process every source id in elasticc2_brokermessage, and consume none.") var doall = false
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() throws {
        ParseOnly.exitIfRequested()
        let logger = logging.bootstrap(label: "ppdb")
        let connection = try database.connect(applicationName: "ppdb update-sources")
        let summary: SourceUpdater.Summary
        do {
            summary = try SourceUpdater(logger: logger).run(on: connection, doAll: doall)
        } catch let refused as SourceUpdater.Refused {
            throw ValidationError("update-sources refused: \(refused)")
        }
        print(
            """
            update-sources: \(summary.sourceIds) source ids; new: \(summary.newObjects) objects, \(summary.newSources) sources, \
            \(summary.newForcedSources) forced sources; \(summary.objectInfoRows) object-info rows; \(summary.idsConsumed) ids consumed; \
            \(String(format: "%.2f", summary.seconds)) s
            """)
    }
}

struct GrantQueryRole: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grant-query-role",
        abstract: "Create or update the two read-only roles elasticc-api's db/runsqlquery/ runs as (the TOM's postgres_ro).",
        discussion: """
            ROLE reads the elasticc2_broker* tables and the class-id taxonomy: everybody's SQL runs as it. ROLE_admin reads \
            every table of the public schema except the accounts (auth_*), Django's tables and elasticc-api's login sessions: \
            the SQL of the group elasticc_admin runs as it. Both may create temporary tables; nothing else. Run it again after \
            a migration adds tables.
            """)
    @Argument(help: "The role's name; the admin role is named ROLE_admin.") var role: String
    @OptionGroup var login: LoginRoleOptions
    @Option(help: "File whose first line is ROLE_admin's password, if it is to differ from ROLE's.") var adminPasswordFile: String?
    @Option(
        name: .customLong("application-role"),
        help:
            "A role the pipeline's tools log in as, which keeps the functions taken from PUBLIC (advisory locks…); repeat for more. The caller and the database's owner always keep them."
    )
    var applicationRoles: [String] = []
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() throws {
        ParseOnly.exitIfRequested()
        _ = logging.bootstrap(label: "ppdb")
        let password = try login.password
        let adminPassword = try adminPasswordFile.map(PasswordFile.firstLine) ?? password
        let connection = try database.connect(applicationName: "ppdb grant-query-role")
        var needsSuperuser: [String] = []
        for (name, scope, password) in [(role, QueryRole.Scope.brokerTables, password), (QueryRole.adminRoleName(role), .everything, adminPassword)] {
            let outcome = try QueryRole.grant(
                role: name, password: password, scope: scope, connectionLimit: login.connectionLimit ?? 16, applicationRoles: applicationRoles,
                on: connection)
            needsSuperuser += outcome.needsSuperuser
        }
        guard needsSuperuser.isEmpty else {
            for problem in needsSuperuser { print("ppdb grant-query-role: \(problem)") }
            throw ExitCode(2)
        }
        print("query role \(role): may read the broker and taxonomy tables and create temporary tables (everybody's SQL)")
        print("query role \(QueryRole.adminRoleName(role)): may read every science table and create temporary tables (elasticc_admin's SQL)")
    }
}

struct GrantServiceRole: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grant-service-role",
        abstract: "Create or update the role the services (alert-sender, broker-poll, elasticc-api, update-sources) read and write as.",
        discussion: """
            Run it as the role that owns the tables and migrates (or a superuser): ROLE may read and write the rows of every \
            table and sequence of the public schema, now and those the caller's later migrations add, and make temporary \
            tables; it owns nothing, so it cannot create, alter or drop tables. Migrate and restore as the owner.
            """)
    @Argument(help: "The role's name.") var role: String
    @OptionGroup var login: LoginRoleOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() throws {
        ParseOnly.exitIfRequested()
        _ = logging.bootstrap(label: "ppdb")
        let connection = try database.connect(applicationName: "ppdb grant-service-role")
        let outcome = try ServiceRole.grant(role: role, password: try login.password, connectionLimit: login.connectionLimit ?? 64, on: connection)
        guard outcome.needsSuperuser.isEmpty else {
            for problem in outcome.needsSuperuser { print("ppdb grant-service-role: \(problem)") }
            throw ExitCode(2)
        }
        print("service role \(role): may read and write the rows of every table (and those later migrations add), owns none")
    }
}

/// `--password-file` and `--connection-limit` of the commands that make login roles.
struct LoginRoleOptions: ParsableArguments {
    @Option(help: "File whose first line is the role's password (none: keep it, or no password). Only its hash is sent to the server.")
    var passwordFile: String?
    @Option(
        help:
            "Sessions the role may have at once (its CONNECTION LIMIT): by default 16 for the query roles (keep elasticc-api serve --sql-concurrent under it), 64 for the service role."
    )
    var connectionLimit: Int?

    func validate() throws {
        if let connectionLimit, connectionLimit <= 0 { throw ValidationError("--connection-limit must be positive.") }
    }

    var password: String? { get throws { try passwordFile.map(PasswordFile.firstLine) } }
}

/// The first line of a password file (the rest, a trailing newline included, is not part of it).
enum PasswordFile {
    static func firstLine(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
    }
}

struct Replicate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make the PPDB COPIES times as big: its objects copied with every id shifted, times and values unchanged.",
        discussion: "Real-shaped data at any size, as `ppdb restore` of the TOM snapshot then `ppdb replicate --copies 50`. Run VACUUM ANALYZE after."
    )
    @Option(help: "How many copies in all, the original included.") var copies: Int
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard copies >= 1 else { throw ValidationError("--copies must be at least 1.") }
    }

    func run() throws {
        ParseOnly.exitIfRequested()
        _ = logging.bootstrap(label: "ppdb")
        let summary = try SnapshotReplicator.replicate(copies: copies, on: database.connect(applicationName: "ppdb replicate"))
        print(
            "replicate: \(copies) copies (ids shifted by multiples of \(summary.stride)): \(summary.objects) objects, \(summary.sources) sources, "
                + "\(summary.forcedSources) forced sources, \(summary.alerts) alerts")
    }
}
