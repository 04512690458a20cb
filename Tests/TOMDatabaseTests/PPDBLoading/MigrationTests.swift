import Foundation
import Logging
import PPDBLoading
import Postgres
import TOMDatabase
import TestSupport
import Testing

/// The catalog facts that make two schemas the same for the tables this pipeline touches.
enum CatalogSnapshot {
    static func of(_ connection: PostgresConnection, tables: [String]) throws -> [String] {
        let names = PostgresValue.textArray(tables)
        var lines: [String] = []
        let columns = try connection.query(
            """
            SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
                   coalesce(pg_get_expr(d.adbin, d.adrelid), '')
              FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
              JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
              LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE c.relname = ANY(\(names)) AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY 1, 2
            """, statement: "columns")
        for row in 0..<columns.rowCount {
            lines.append("column " + (0..<7).map { columns.string(row, $0) ?? "" }.joined(separator: " | "))
        }
        let constraints = try connection.query(
            """
            SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)
              FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
             WHERE c.relname = ANY(\(names)) ORDER BY 1, 2
            """, statement: "constraints")
        for row in 0..<constraints.rowCount {
            lines.append("constraint " + (0..<3).map { constraints.string(row, $0) ?? "" }.joined(separator: " | "))
        }
        let indexes = try connection.query(
            // Indexes of ours (elasticcstream_…) are not the TOM's schema.
            """
            SELECT tablename, indexname, indexdef FROM pg_indexes
             WHERE schemaname = 'public' AND tablename = ANY(\(names)) AND indexname NOT LIKE 'elasticcstream\\_%' ORDER BY 1, 2
            """,
            statement: "indexes")
        for row in 0..<indexes.rowCount {
            lines.append("index " + (0..<3).map { indexes.string(row, $0) ?? "" }.joined(separator: " | "))
        }
        let sequences = try connection.query(
            """
            SELECT s.relname, pg_get_serial_sequence('public.' || t.relname, a.attname)
              FROM pg_class t JOIN pg_attribute a ON a.attrelid = t.oid AND a.attidentity <> ''
              JOIN pg_depend d ON d.refobjid = t.oid AND d.refobjsubid = a.attnum AND d.deptype = 'i'
              JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
             WHERE t.relname = ANY(\(names)) ORDER BY 1
            """, statement: "identity sequences")
        for row in 0..<sequences.rowCount {
            lines.append("sequence " + (0..<2).map { sequences.string(row, $0) ?? "" }.joined(separator: " | "))
        }
        return lines
    }
}

@Suite("ppdb migrate against a real PostgreSQL", .serialized)
struct MigrationTests {
    static let logger = Logger(label: "ppdb-tests")

    static func referenceDatabase() throws -> String {
        let url = try PostgresTestServer.shared.makeDatabase("tomref")
        let connection = try PostgresConnection(url)
        try connection.execute(script: "CREATE EXTENSION IF NOT EXISTS q3c", statement: "q3c")
        // The dump holds psql meta-commands, so psql loads it.
        try TestEnvironment.run([
            "psql", url, "-q", "-v", "ON_ERROR_STOP=1",
            "-f", try TestEnvironment.reference("tom_elasticc2_schema.sql").path,
        ])
        return url
    }

    /// Every TOM table `ppdb migrate` creates that the reference dump holds (it has no Django
    /// groups: `auth_group` and `auth_user_groups` are checked against Django's schema below).
    static let referenceTables = (TOMSchema.tables + TOMSchema.objectTables + TOMSchema.trainingTables).map(\.name).filter {
        !$0.hasPrefix("auth_") || $0 == "auth_user"
    }

    @Test("An empty database gets exactly the TOM's tables: columns, keys, identities, foreign keys and indexes")
    func migrateMatchesReference() throws {
        let ours = try PostgresConnection(try PostgresTestServer.shared.makeDatabase("migrate"))
        let report = try Migrator.migrate(ours, logger: Self.logger)
        #expect(report.appliedVersions == Array(1...14))
        #expect(report.createdTables.count == 26)
        #expect(report.q3cAvailable)
        let reference = try PostgresConnection(try Self.referenceDatabase())
        let tables = Self.referenceTables
        #expect(tables.count == 24)
        let expected = try CatalogSnapshot.of(reference, tables: tables)
        let actual = try CatalogSnapshot.of(ours, tables: tables)
        #expect(expected.count > 350)
        #expect(actual == expected)
        #expect(Set(actual.filter { $0.hasPrefix("constraint") && $0.contains("FOREIGN KEY") }).count == 17)
        // The TOM's migration 0019 seeds one row, running = false.
        #expect(try ours.query("SELECT id, running FROM elasticc2_importppdbrunning", statement: "running row").rowCount == 1)
        #expect(try ours.query("SELECT running FROM elasticc2_importppdbrunning", statement: "running").value(0, 0, as: Bool.self) == false)
    }

    @Test("The taxonomy tables get the TOM's rows, ids and order; the ids continue after them; a table with rows is left alone")
    func taxonomy() throws {
        let connection = try PostgresConnection(try PostgresTestServer.shared.makeDatabase("taxonomy"))
        let report = try Migrator.migrate(connection, logger: Self.logger)
        #expect(report.filledTables == ["elasticc2_gentypeofclassid", "elasticc2_classidofgentype"])
        // Rows as the TOM's migration 0016 saves them, with the ids its sequences give (0002's rows came first).
        let nodes = try connection.query(
            "SELECT count(*), min(id), max(id), count(gentype), count(DISTINCT classid) FROM elasticc2_gentypeofclassid", statement: "nodes")
        #expect(try (0..<5).map { try nodes.value(0, $0, as: Int.self) } == [54, 48, 101, 31, 42])
        let matches = try connection.query(
            """
            SELECT count(*), min(id), max(id), count(*) FILTER (WHERE exactmatch), count(*) FILTER (WHERE categorymatch),
                   count(*) FILTER (WHERE generalmatch), count(*) FILTER (WHERE broadmatch)
              FROM elasticc2_classidofgentype
            """, statement: "matches")
        #expect(try (0..<7).map { try matches.value(0, $0, as: Int.self) } == [124, 94, 217, 31, 62, 93, 124])
        let first = try connection.query(
            "SELECT id, classid, gentype, description FROM elasticc2_gentypeofclassid ORDER BY id LIMIT 1", statement: "first node")
        let (firstId, firstClass, firstGentype, firstDescription) = try first.rows[0].decode((Int64, Int64, Int64?, String).self)
        #expect(firstId == 48 && firstClass == 0 && firstGentype == nil && firstDescription == "Meta")
        let ia = try connection.query(
            "SELECT id, classid, exactmatch, description FROM elasticc2_classidofgentype WHERE gentype = 10 ORDER BY id", statement: "Ia")
        let iaRows = try ia.rows.map { try $0.decode((Int64, Int64, Bool, String).self) }
        #expect(iaRows.map(\.0) == [94, 125, 151, 165])
        #expect(iaRows.map(\.1) == [2000, 2200, 2220, 2222])
        #expect(iaRows.map(\.2) == [false, false, false, true] && iaRows.last?.3 == "Ia")
        // A row added later (Django's save) takes the next id, as it would in the TOM.
        let next = try connection.query(
            "INSERT INTO elasticc2_gentypeofclassid (classid, gentype, description) VALUES (9999, 9999, 'x') RETURNING id", statement: "next id")
        #expect(try next.value(0, 0, as: Int64.self) == 102)

        // A database whose taxonomy already has rows (a TOM's, perhaps edited) keeps them.
        let edited = try PostgresConnection(try PostgresTestServer.shared.makeDatabase("taxonomy_edited"))
        try edited.query(
            PostgresQuery(
                unescaped:
                    "CREATE TABLE elasticc2_gentypeofclassid (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, classid integer NOT NULL, gentype integer UNIQUE, description text NOT NULL)"
            ), statement: "TOM table")
        try edited.query("INSERT INTO elasticc2_gentypeofclassid (classid, gentype, description) VALUES (2222, 10, 'Ia (ours)')", statement: "a row")
        let editedReport = try Migrator.migrate(edited, logger: Self.logger)
        #expect(editedReport.filledTables == ["elasticc2_classidofgentype"])
        #expect(try edited.query("SELECT count(*) FROM elasticc2_gentypeofclassid", statement: "rows").value(0, 0, as: Int.self) == 1)
    }

    @Test("Django's groups tables are created as Django 4.2 creates them")
    func djangoGroups() throws {
        let ours = try PostgresConnection(try PostgresTestServer.shared.makeDatabase("groups"))
        _ = try Migrator.migrate(ours, logger: Self.logger)
        let catalog = try CatalogSnapshot.of(ours, tables: ["auth_group", "auth_user_groups"])
        #expect(catalog.contains("column auth_group | 2 | name | character varying(150) | t |  | "))
        #expect(catalog.contains("constraint auth_group | auth_group_name_key | UNIQUE (name)"))
        #expect(catalog.contains("constraint auth_user_groups | auth_user_groups_user_id_group_id_94350c0c_uniq | UNIQUE (user_id, group_id)"))
        #expect(
            catalog.contains(
                "constraint auth_user_groups | auth_user_groups_user_id_6a12ed8b_fk_auth_user_id | FOREIGN KEY (user_id) REFERENCES auth_user(id) DEFERRABLE INITIALLY DEFERRED"
            ))
    }

    @Test("Migrating twice changes nothing the second time")
    func idempotent() throws {
        let connection = try PostgresConnection(try PostgresTestServer.shared.makeDatabase("twice"))
        _ = try Migrator.migrate(connection, logger: Self.logger)
        let before = try CatalogSnapshot.of(connection, tables: SnapshotRestorer.restoredTables)
        let second = try Migrator.migrate(connection, logger: Self.logger)
        #expect(second.appliedVersions.isEmpty && second.createdTables.isEmpty && second.createdIndexes.isEmpty && second.createdForeignKeys.isEmpty)
        #expect(try CatalogSnapshot.of(connection, tables: SnapshotRestorer.restoredTables) == before)
    }

    @Test("On an existing TOM database only our own tables are added")
    func existingTOMDatabase() throws {
        let connection = try PostgresConnection(try Self.referenceDatabase())
        let tables = Self.referenceTables
        let before = try CatalogSnapshot.of(connection, tables: tables)
        let report = try Migrator.migrate(connection, logger: Self.logger)
        // The reference has no Django groups: only those two are new; nothing of the TOM's changes.
        #expect(report.createdTables == ["auth_group", "auth_user_groups"])
        #expect(report.existingTables.count == 24)
        #expect(
            Set(report.createdIndexes).isSubset(of: [
                "auth_group_name_a6ea08ec_like", "auth_user_groups_group_id_97559544", "auth_user_groups_user_id_6a12ed8b",
            ]))
        #expect(try CatalogSnapshot.of(connection, tables: tables) == before)
        let own = try connection.query(
            "SELECT count(*) FROM pg_class WHERE relname LIKE 'elasticcstream\\_%' AND relkind = 'r'", statement: "own tables")
        #expect(try own.int64(0, 0) == 14)
    }

    @Test("The TOM snapshot restores into the migrated schema with every row")
    func snapshotRestores() throws {
        let url = try PostgresTestServer.shared.makeDatabase("snapshot")
        let connection = try PostgresConnection(url)
        _ = try Migrator.migrate(connection, logger: Self.logger)
        try SnapshotRestorer.restore(
            dump: try TestEnvironment.reference("tom_desc/elasticc2_alertcycle_complete.psqlc").path,
            conninfo: url)
        let stats = try PPDBStatistics.read(connection)
        #expect(stats.objects == 346)
        #expect(stats.sources == 1862)
        #expect(stats.alerts == 1862)
        #expect(stats.forcedSources == 52172)
        #expect(stats.truthRows == 346)
        #expect(stats.brokerMessages > 0)
        #expect(stats.messagesPerClassifier.map(\.classifier).contains { $0.contains("NugentClassifier") })
        #expect(stats.alertsSent > 0)
        #expect(stats.simulatedDateReached != nil)
        // The TOM's end state of its own object tables.
        let objects = try connection.query(
            """
            SELECT (SELECT count(*) FROM elasticc2_diaobject), (SELECT count(*) FROM elasticc2_diasource),
                   (SELECT count(*) FROM elasticc2_diaforcedsource), (SELECT count(*) FROM elasticc2_diaobjectinfo)
            """, statement: "object tables")
        #expect(try (0..<4).map { try objects.value(0, $0, as: Int.self) } == [131, 650, 5765, 268])

        // The identity sequences continue after the restored ids.
        let next = try connection.query(
            """
            INSERT INTO elasticc2_brokerclassifier (brokername, classifiername, modified) VALUES ('x', 'y', now()) RETURNING classifier_id
            """, statement: "next classifier id")
        #expect(try next.value(0, 0, as: Int64.self) > 2)

        let cleared = try PPDBStatistics.resetSent(connection)
        #expect(cleared == Int(stats.alertsSent))
        let after = try PPDBStatistics.read(connection)
        #expect(after.alertsSent == 0 && after.alertsUnsent == 1862 && after.simulatedDateReached == nil)
    }
}
