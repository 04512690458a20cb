import Logging
import Postgres

/// Creates, idempotently, the TOM tables this pipeline touches and the tables of our own.
/// Against an existing TOM database it changes nothing in the TOM's tables.
public enum Migrator {
    public struct Report: Sendable, Equatable {
        public var appliedVersions: [Int]
        public var createdTables: [String]
        public var createdIndexes: [String]
        public var createdForeignKeys: [String]
        public var q3cAvailable: Bool
        /// TOM tables that already existed (the TOM's own): nothing in them was changed.
        public var existingTables: [String] = []
        /// Taxonomy tables this run filled with the TOM's rows (a table with rows is left as it is).
        public var filledTables: [String] = []
    }

    struct Migration: Sendable {
        var version: Int
        var name: String
        var apply: @Sendable (PostgresConnection, inout Report) throws -> Void
    }

    /// A migration that runs SQL of our own, statement by statement.
    static func statements(_ version: Int, _ name: String, _ sql: [String]) -> Migration {
        Migration(version: version, name: name) { connection, _ in
            for statement in sql { try connection.query(PostgresQuery(unescaped: statement), statement: name) }
        }
    }

    static let migrations: [Migration] = [
        Migration(version: 1, name: "TOM elasticc2 tables") { connection, report in
            try ensureTOMTables(connection, &report)
        },
        statements(2, "kafka offsets and dead letters", OwnTables.creation),
        Migration(version: 3, name: "TOM object, spectrum, class-id and user tables") { connection, report in
            try ensure(TOMSchema.objectTables, foreignKeys: TOMSchema.objectForeignKeys, on: connection, &report)
        },
        statements(4, "elasticc-api login sessions", OwnTables.sessionCreation),
        statements(5, "REST-pushed broker messages stored once", [OwnTables.restPushOnce]),
        statements(6, "web API light-curve and detection indexes", OwnTables.webAPIIndexes),
        statements(7, "diagnostic pages' nightly sums", OwnTables.streamSummaryCreation),
        statements(8, "broker-poll offset resets", [OwnTables.offsetResetCreation]),
        Migration(version: 9, name: "the TOM's class-id taxonomy") { connection, report in
            try fillTaxonomy(connection, &report)
        },
        statements(10, "page sums by simulated night, delays from 1 ms, confusion matrices", OwnTables.streamSummaryRebuild),
        statements(11, "PPDB browsing: table generations and page anchors", OwnTables.pageAnchorsCreation),
        statements(12, "long SQL queries' queue", OwnTables.longQueryCreation),
        Migration(version: 13, name: "the TOM's training tables") { connection, report in
            try ensure(TOMSchema.trainingTables, foreignKeys: TOMSchema.trainingForeignKeys, on: connection, &report)
        },
        statements(14, "nightly sends, one per day", OwnTables.nightlySendCreation),
    ]

    /// Serialises concurrent migrations across hosts.
    static let lockKey: Int64 = 0x4553_4D49_4752_4154  // "ESMIGRAT"

    public static func migrate(_ connection: PostgresConnection, logger: Logger) throws -> Report {
        var report = Report(appliedVersions: [], createdTables: [], createdIndexes: [], createdForeignKeys: [], q3cAvailable: false)
        try connection.transaction {
            try connection.advisoryTransactionLock(lockKey)
            // "already exists, skipping" and the like say nothing a reader needs.
            try connection.query("SET LOCAL client_min_messages = warning", statement: "quiet notices")
            try connection.query(
                """
                CREATE TABLE IF NOT EXISTS public.\(unescaped: OwnTables.schemaVersion) (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamp with time zone NOT NULL DEFAULT now())
                """, statement: "create schema version table")
            let applied = try connection.query("SELECT version FROM public.\(unescaped: OwnTables.schemaVersion)", statement: "read schema versions")
            let versions: [Int] = try applied.rows.map { try $0.decode(Int.self) }
            let done = Set(versions)
            for migration in migrations where !done.contains(migration.version) {
                try migration.apply(connection, &report)
                try connection.query(
                    "INSERT INTO public.\(unescaped: OwnTables.schemaVersion) (version, name) VALUES (\(Int32(migration.version)), \(migration.name))",
                    statement: "record schema version")
                report.appliedVersions.append(migration.version)
                logger.info("Applied migration", metadata: ["migration.version": "\(migration.version)", "migration.name": "\(migration.name)"])
            }
            // Checked on every run, so an extension installed later still gets its indexes.
            try ensureQ3CIndexes(connection, &report, logger: logger)
        }
        return report
    }

    static func ensureTOMTables(_ connection: PostgresConnection, _ report: inout Report) throws {
        try ensure(TOMSchema.tables, foreignKeys: TOMSchema.foreignKeys, on: connection, &report)
    }

    /// Creates each table that does not exist, and each index and foreign key that is missing;
    /// an existing table (the TOM's own) is left exactly as it is.
    static func ensure(
        _ tables: [TOMSchema.Table], foreignKeys: [(name: String, table: String, definition: String)], on connection: PostgresConnection,
        _ report: inout Report
    ) throws {
        for table in tables {
            if try !relationExists(connection, table.name) {
                for statement in table.creation { try connection.query(PostgresQuery(unescaped: statement), statement: "create \(table.name)") }
                report.createdTables.append(table.name)
            } else {
                report.existingTables.append(table.name)
            }
            for index in table.indexes where try !relationExists(connection, index.name) {
                try connection.query(PostgresQuery(unescaped: index.definition), statement: "create index \(index.name)")
                report.createdIndexes.append(index.name)
            }
        }
        for foreignKey in foreignKeys {
            let exists =
                try connection.query(
                    "SELECT 1 FROM pg_constraint WHERE conname = \(foreignKey.name) AND conrelid = to_regclass(\("public." + foreignKey.table))",
                    statement: "find foreign key"
                ).rowCount > 0
            if !exists {
                try connection.query(
                    "ALTER TABLE ONLY public.\(unescaped: foreignKey.table) ADD CONSTRAINT \(unescaped: foreignKey.name) \(unescaped: foreignKey.definition)",
                    statement: "add foreign key \(foreignKey.name)")
                report.createdForeignKeys.append(foreignKey.name)
            }
        }
    }

    /// Fills each empty taxonomy table with the TOM's rows and ids, and moves its id sequence
    /// past them as the TOM's inserts do; a table that has rows (a TOM database's) is left alone.
    static func fillTaxonomy(_ connection: PostgresConnection, _ report: inout Report) throws {
        if try isEmpty(connection, "elasticc2_gentypeofclassid") {
            for (offset, node) in Taxonomy.classNodes.enumerated() {
                try connection.query(
                    """
                    INSERT INTO public.elasticc2_gentypeofclassid (id, classid, gentype, description)
                    VALUES (\(Int32(Taxonomy.firstClassNodeId + offset)), \(Int32(node.classId)), \(node.gentype.map(Int32.init)), \(node.description))
                    """, statement: "fill elasticc2_gentypeofclassid")
            }
            try advanceIdSequence(connection, "elasticc2_gentypeofclassid")
            report.filledTables.append("elasticc2_gentypeofclassid")
        }
        if try isEmpty(connection, "elasticc2_classidofgentype") {
            for (offset, match) in Taxonomy.gentypeMatches.enumerated() {
                try connection.query(
                    """
                    INSERT INTO public.elasticc2_classidofgentype
                           (id, gentype, classid, exactmatch, categorymatch, generalmatch, broadmatch, description)
                    VALUES (\(Int32(Taxonomy.firstGentypeMatchId + offset)), \(Int32(match.gentype)), \(Int32(match.classId)),
                            \(match.exactMatch), \(match.categoryMatch), \(match.generalMatch), \(match.broadMatch), \(match.description))
                    """, statement: "fill elasticc2_classidofgentype")
            }
            try advanceIdSequence(connection, "elasticc2_classidofgentype")
            report.filledTables.append("elasticc2_classidofgentype")
        }
    }

    private static func isEmpty(_ connection: PostgresConnection, _ table: String) throws -> Bool {
        try connection.query("SELECT NOT EXISTS (SELECT 1 FROM public.\(unescaped: table))", statement: "is \(table) empty").single(Bool.self)
    }

    private static func advanceIdSequence(_ connection: PostgresConnection, _ table: String) throws {
        try connection.query(
            "SELECT setval(pg_get_serial_sequence(\("public." + table), 'id'), max(id)) FROM public.\(unescaped: table)",
            statement: "advance \(table)'s id sequence")
    }

    static func ensureQ3CIndexes(_ connection: PostgresConnection, _ report: inout Report, logger: Logger) throws {
        let installed = try connection.query("SELECT 1 FROM pg_extension WHERE extname = 'q3c'", statement: "find q3c").rowCount > 0
        if !installed {
            let available = try connection.query("SELECT 1 FROM pg_available_extensions WHERE name = 'q3c'", statement: "find q3c").rowCount > 0
            guard available else {
                logger.notice("q3c extension not available: sky-position indexes skipped (install postgresql-15-q3c to add them)")
                return
            }
            try connection.query("CREATE EXTENSION IF NOT EXISTS q3c", statement: "create q3c extension")
        }
        report.q3cAvailable = true
        for index in TOMSchema.q3cIndexes + TOMSchema.objectQ3CIndexes + TOMSchema.trainingQ3CIndexes
        where try !relationExists(connection, index.name) {
            try connection.query(PostgresQuery(unescaped: index.definition), statement: "create index \(index.name)")
            report.createdIndexes.append(index.name)
        }
    }

    static func relationExists(_ connection: PostgresConnection, _ name: String) throws -> Bool {
        try connection.query("SELECT to_regclass(\("public." + name)) IS NOT NULL", statement: "find relation").single(Bool.self)
    }
}
