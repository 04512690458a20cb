import Foundation
import Logging
import PPDBLoading
import Postgres
import TOMDatabase
import TestSupport
import Testing

/// The TOM's subset dumps both ways, through the built `ppdb` and the TOM's own importer.
@Suite("ppdb make-subset and import-subset: the TOM's subset dumps")
struct SubsetDumpTests {
    static let logger = Logger(label: "subset-tests")

    static func count(_ connection: PostgresConnection, _ table: String) throws -> Int64 {
        try connection.query(PostgresQuery(unescaped: "SELECT count(*) FROM \(table)"), statement: "count").single(Int64.self)
    }

    static func leftovers(_ connection: PostgresConnection) throws -> Int64 {
        try connection.query("SELECT count(*) FROM pg_class WHERE relname LIKE 'temp\\_copy\\_%'", statement: "leftovers").single(Int64.self)
    }

    @Test("The TOM's 10-object dump loads (restore refuses it, naming import-subset); again adds nothing; a failure leaves nothing behind")
    func tomSubsetLoads() throws {
        let dump = try TestEnvironment.reference("tom_desc/elasticc2_dump_10obj.sql").path
        let url = try PostgresTestServer.shared.makeDatabase("subset")
        let connection = try PostgresConnection(url)
        _ = try Migrator.migrate(connection, logger: Self.logger)
        let ppdb = TestEnvironment.executable("ppdb")
        let restore = try TestEnvironment.execute([ppdb, "restore", "--db", url, dump])
        #expect(restore.status != 0 && restore.stderr.contains("ppdb import-subset"), "\(restore.stderr)")

        // A failure half-way (a constraint the sources break) rolls back and drops the copies.
        try connection.query("ALTER TABLE elasticc2_ppdbdiasource ADD CONSTRAINT never CHECK (psflux < -1e30) NOT VALID", statement: "trap")
        let failed = try TestEnvironment.execute([ppdb, "import-subset", "--db", url, dump])
        #expect(failed.status != 0 && failed.stderr.contains("never"))
        #expect(try Self.leftovers(connection) == 0 && Self.count(connection, "elasticc2_ppdbdiaobject") == 0)
        try connection.query("ALTER TABLE elasticc2_ppdbdiasource DROP CONSTRAINT never", statement: "untrap")

        let first = try TestEnvironment.execute([ppdb, "import-subset", "--db", url, dump])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("elasticc2_ppdbdiaobject: 10 of 10 rows added"))
        #expect(try Self.count(connection, "elasticc2_ppdbdiaobject") == 10 && Self.leftovers(connection) == 0)
        for table in ["elasticc2_ppdbdiasource", "elasticc2_ppdbdiaforcedsource", "elasticc2_ppdbalert", "elasticc2_diaobjecttruth"] {
            #expect(try Self.count(connection, table) > 0, "\(table)")
        }
        // Every source, alert and truth row belongs to one of the ten objects.
        let orphans: Int64 = try connection.query(
            "SELECT count(*) FROM elasticc2_ppdbdiasource s WHERE NOT EXISTS (SELECT 1 FROM elasticc2_ppdbdiaobject o WHERE o.diaobject_id = s.diaobject_id)",
            statement: "orphans"
        ).single(Int64.self)
        #expect(orphans == 0)
        // Copy tables already there (another import at work, or one killed) are not taken for this one's.
        try connection.query("CREATE TABLE temp_copy_elasticc2_ppdbalert (x int)", statement: "leftover")
        let refused = try TestEnvironment.execute([ppdb, "import-subset", "--db", url, dump])
        #expect(refused.status != 0 && refused.stderr.contains("temp_copy_elasticc2_ppdbalert"))
        try connection.query("DROP TABLE temp_copy_elasticc2_ppdbalert", statement: "tidy")
        let again = try TestEnvironment.execute([ppdb, "import-subset", "--db", url, dump])
        #expect(again.status == 0 && again.stdout.contains("elasticc2_ppdbdiaobject: 0 of 10 rows added"))
        #expect(try Self.count(connection, "elasticc2_ppdbdiaobject") == 10 && Self.leftovers(connection) == 0)
        // A message stored next gets an id past the imported ones.
        let next = try connection.query(
            "SELECT nextval(pg_get_serial_sequence('elasticc2_brokermessage', 'brokermessage_id')) > coalesce(max(brokermessage_id), 0) FROM elasticc2_brokermessage",
            statement: "next id")
        #expect(try next.single(Bool.self))
    }

    @Test("A subset made here holds what the TOM's maker would and loads with the TOM's own importer; a seed picks the same objects")
    func madeHereLoadsWithTOMImporter() throws {
        let source = try PostgresTestServer.shared.makeDatabase("subset_source")
        let connection = try PostgresConnection(source)
        _ = try Migrator.migrate(connection, logger: Self.logger)
        try SnapshotRestorer.restore(dump: try PostgresTestServer.snapshotPath, conninfo: source)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("subset-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let ppdb = TestEnvironment.executable("ppdb")
        var picked: [[Int64]] = []
        for name in ["a.sql", "b.sql"] {
            let made = try TestEnvironment.execute(
                [ppdb, "make-subset", "--db", source, "--objects", "20", "--only-sent", "--seed", "0.25", work.appendingPathComponent(name).path])
            #expect(made.status == 0 && made.stdout.contains("elasticc2_ppdbdiaobject: 20 rows"), "\(made.stderr)")
            #expect(try Self.leftovers(connection) == 0)
            // What went in, read back from the dump's own listing of rows: the ids, through our importer.
            let check = try PostgresTestServer.shared.makeDatabase("subset_check")
            let checkConnection = try PostgresConnection(check)
            _ = try Migrator.migrate(checkConnection, logger: Self.logger)
            _ = try SubsetDump.load(dump: work.appendingPathComponent(name).path, conninfo: check)
            picked.append(
                try checkConnection.query("SELECT diaobject_id FROM elasticc2_ppdbdiaobject ORDER BY 1", statement: "ids").rows.map {
                    try $0.decode(Int64.self)
                })
        }
        #expect(picked[0].count == 20 && picked[0] == picked[1])

        // The TOM's importer, on a cluster of its own (it wants a database called tom_desc).
        let cluster = try PrivatePostgresCluster()
        let tom = try cluster.makeDatabase("tom_desc")
        let tomConnection = try PostgresConnection(tom)
        _ = try Migrator.migrate(tomConnection, logger: Self.logger)
        let address = try #require(URLComponents(string: cluster.adminURL))
        _ = try TestEnvironment.run([
            "python3", try TestEnvironment.reference("tom_desc/admin_tools/import_elasticc2_subset_dump.py").path,
            "-H", address.host ?? "127.0.0.1", "-p", String(address.port ?? 5432), "-U", address.user ?? "postgres",
            "-f", work.appendingPathComponent("a.sql").path,
        ])
        let ids = try tomConnection.query("SELECT diaobject_id FROM elasticc2_ppdbdiaobject ORDER BY 1", statement: "ids").rows.map {
            try $0.decode(Int64.self)
        }
        #expect(ids == picked[0])
        // Everything of those objects, as in the source database: sources, forced sources, alerts, truth, their messages, all classifiers.
        for (table, condition) in [
            ("elasticc2_ppdbdiasource", "diaobject_id"), ("elasticc2_ppdbdiaforcedsource", "diaobject_id"), ("elasticc2_ppdbalert", "diaobject_id"),
            ("elasticc2_diaobjecttruth", "diaobject_id"),
        ] {
            let expected = try connection.query(
                PostgresQuery(
                    unescaped: "SELECT count(*) FROM \(table) WHERE \(condition) = ANY('{\(ids.map(String.init).joined(separator: ","))}')"),
                statement: "expected"
            ).single(Int64.self)
            #expect(try Self.count(tomConnection, table) == expected && expected > 0, "\(table)")
        }
        let messages = try connection.query(
            """
            SELECT count(*) FROM elasticc2_brokermessage m JOIN elasticc2_ppdbalert a ON a.alert_id = m.alert_id
             WHERE a.diaobject_id = ANY('{\(unescaped: ids.map(String.init).joined(separator: ","))}')
            """, statement: "messages"
        ).single(Int64.self)
        #expect(try Self.count(tomConnection, "elasticc2_brokermessage") == messages && messages > 0)
        #expect(try Self.count(tomConnection, "elasticc2_brokerclassifier") == Self.count(connection, "elasticc2_brokerclassifier"))
        #expect(try Self.leftovers(tomConnection) == 0)
    }
}
