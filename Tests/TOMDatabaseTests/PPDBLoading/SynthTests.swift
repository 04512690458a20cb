import Foundation
import Logging
import PPDBLoading
import Postgres
import TOMDatabase
import TestSupport
import Testing

@Suite("ppdb synth", .serialized)
struct SynthTests {
    static let logger = Logger(label: "synth-tests")

    static func synthesize(_ settings: SynthGenerator.Settings) throws -> PostgresConnection {
        let url = try PostgresTestServer.shared.makeDatabase("synth")
        let connection = try PostgresConnection(url)
        _ = try Migrator.migrate(connection, logger: logger)
        _ = try SynthLoader(settings: settings, conninfo: url, logger: logger).run()
        return connection
    }

    static func fingerprint(_ connection: PostgresConnection) throws -> [String] {
        try [
            "elasticc2_ppdbdiaobject", "elasticc2_ppdbdiasource", "elasticc2_ppdbdiaforcedsource", "elasticc2_ppdbalert", "elasticc2_diaobjecttruth",
        ].map { table in
            try connection.query(
                "SELECT count(*) || ':' || md5(string_agg(t::text, '|' ORDER BY t::text)) FROM \(unescaped: table) t", statement: "fingerprint"
            ).string(0, 0) ?? ""
        }
    }

    @Test("The same seed gives the same rows; another seed does not")
    func deterministic() throws {
        let settings = SynthGenerator.Settings(objects: 300, seed: 7, ddfFraction: 0.05)
        let first = try Self.fingerprint(Self.synthesize(settings))
        let second = try Self.fingerprint(Self.synthesize(settings))
        #expect(first == second)
        var other = settings
        other.seed = 8
        #expect(try Self.fingerprint(Self.synthesize(other)) != first)
    }

    @Test("--forced-days-after-detection 0 leaves out only the forced photometry after each object's last detection")
    func forcedPhotometryCutAtLastDetection() throws {
        let full = try Self.synthesize(SynthGenerator.Settings(objects: 200, seed: 5))
        let cut = try Self.synthesize(SynthGenerator.Settings(objects: 200, seed: 5, forcedDaysAfterDetection: 0))
        let kept: PostgresQuery = """
            SELECT count(*) || ':' || md5(string_agg(f::text, '|' ORDER BY f.diaforcedsource_id)) FROM elasticc2_ppdbdiaforcedsource f
             WHERE f.midpointtai <= (SELECT max(midpointtai) FROM elasticc2_ppdbdiasource s WHERE s.diaobject_id = f.diaobject_id)
            """
        #expect(try full.query(kept, statement: "kept").string(0, 0) == cut.query(kept, statement: "kept").string(0, 0))
        let after: PostgresQuery = """
            SELECT count(*) FROM elasticc2_ppdbdiaforcedsource f
             WHERE f.midpointtai > (SELECT max(midpointtai) FROM elasticc2_ppdbdiasource s WHERE s.diaobject_id = f.diaobject_id)
            """
        #expect(try cut.query(after, statement: "after").int64(0, 0) == 0)
        #expect(try full.query(after, statement: "after").int64(0, 0) ?? 0 > 10_000)
        #expect(try Self.fingerprint(full)[1] == Self.fingerprint(cut)[1], "the same sources")
    }

    @Test("Statistics resemble the TOM snapshot and follow the TOM's id scheme")
    func realistic() throws {
        let connection = try Self.synthesize(SynthGenerator.Settings(objects: 3000, seed: 11, ddfFraction: 0.04))
        let stats = try PPDBStatistics.read(connection)
        #expect(stats.objects == 3000 && stats.truthRows == 3000)
        #expect(stats.alerts == stats.sources)
        let perObject = Double(stats.sources) / Double(stats.objects)
        let forcedPerObject = Double(stats.forcedSources) / Double(stats.objects)
        #expect((3...10).contains(perObject), "sources per object \(perObject)")
        #expect((90...250).contains(forcedPerObject), "forced sources per object \(forcedPerObject)")
        #expect((60...180).contains(stats.ddfObjects))

        let shape = try connection.query(
            """
            SELECT
              (SELECT avg((n = 1)::int) FROM (SELECT row_number() OVER (PARTITION BY diaobject_id ORDER BY midpointtai) n FROM elasticc2_ppdbdiasource) x),
              (SELECT avg(c) FROM (SELECT count(*) c FROM elasticc2_ppdbdiaforcedsource f JOIN elasticc2_ppdbdiaobject o USING (diaobject_id) WHERE o.isddf GROUP BY f.diaobject_id) d),
              (SELECT avg(c) FROM (SELECT count(*) c FROM elasticc2_ppdbdiaforcedsource f JOIN elasticc2_ppdbdiaobject o USING (diaobject_id) WHERE NOT o.isddf GROUP BY f.diaobject_id) w),
              (SELECT count(*) FROM elasticc2_ppdbdiasource WHERE diasource_id / 100000 <> diaobject_id OR snr < 5),
              (SELECT count(*) FROM elasticc2_ppdbalert a JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
                WHERE a.alert_id <> s.diasource_id OR a.diaobject_id <> s.diaobject_id),
              (SELECT count(*) FROM elasticc2_ppdbdiasource s JOIN elasticc2_ppdbdiaforcedsource f ON f.diaforcedsource_id = s.diasource_id
                WHERE f.psflux = s.psflux AND f.midpointtai = s.midpointtai),
              (SELECT avg(s.first - f.first) FROM (SELECT diaobject_id, min(midpointtai) first FROM elasticc2_ppdbdiaforcedsource GROUP BY 1) f
                 JOIN (SELECT diaobject_id, min(midpointtai) first FROM elasticc2_ppdbdiasource GROUP BY 1) s USING (diaobject_id)),
              (SELECT avg((SELECT count(*) FROM elasticc2_ppdbdiasource p
                            WHERE p.diaobject_id = s.diaobject_id AND p.midpointtai < s.midpointtai AND p.midpointtai >= s.midpointtai - 365))
                 FROM elasticc2_ppdbdiasource s JOIN elasticc2_ppdbdiaobject o USING (diaobject_id) WHERE NOT o.isddf)
            """, statement: "synth shape")
        let withoutHistory = try shape.value(0, 0, as: Double.self)
        #expect((0.1...0.35).contains(withoutHistory), "alerts without history \(withoutHistory)")
        #expect(try shape.value(0, 1, as: Double.self) > 3 * shape.value(0, 2, as: Double.self), "DDF objects carry far more photometry")
        #expect(try shape.int64(0, 3) == 0)
        #expect(try shape.int64(0, 4) == 0)
        #expect(try shape.int64(0, 5) == stats.sources)
        // The snapshot: forced photometry from 109 days before the first source; 8.9 previous
        // sources in a WFD alert (a synth with twice that sent alerts twice the real size).
        let forcedLead = try shape.value(0, 6, as: Double.self)
        #expect((40...150).contains(forcedLead), "forced photometry starts \(forcedLead) days before the first source")
        let previousSources = try shape.value(0, 7, as: Double.self)
        #expect((4...13).contains(previousSources), "previous sources in a WFD alert \(previousSources)")
    }

    static func indexDefinitions(_ connection: PostgresConnection) throws -> [String] {
        let result = try connection.query(
            """
            SELECT indexdef FROM pg_indexes WHERE tablename LIKE 'elasticc2\\_%' ORDER BY indexname
            """, statement: "index definitions")
        return (0..<result.rowCount).map { result.string($0, 0)! }
    }

    /// A new migrated database, a connection to it, and its index definitions.
    static func migratedDatabase() throws -> (url: String, connection: PostgresConnection, indexes: [String]) {
        let url = try PostgresTestServer.shared.makeDatabase("synth")
        let connection = try PostgresConnection(url)
        _ = try Migrator.migrate(connection, logger: logger)
        return (url, connection, try indexDefinitions(connection))
    }

    @Test("Into empty tables the indexes are built after the rows, exactly as migrate made them; into filled tables they stay")
    func deferredIndexes() throws {
        let (url, connection, migrated) = try Self.migratedDatabase()
        #expect(migrated.contains { $0.contains("(midpointtai)") })

        let first = try SynthLoader(settings: .init(objects: 400, seed: 3), conninfo: url, logger: Self.logger).run()
        #expect(first.deferredIndexes)
        #expect(try Self.indexDefinitions(connection) == migrated)
        // Rows went in frozen: every page is all-visible already, with no vacuum run.
        let visibility = try connection.query(
            """
            SELECT count(*) FILTER (WHERE relpages > 0 AND relallvisible = relpages), count(*) FROM pg_class
             WHERE relname IN ('elasticc2_ppdbdiaobject', 'elasticc2_ppdbdiasource', 'elasticc2_ppdbdiaforcedsource',
                               'elasticc2_ppdbalert', 'elasticc2_diaobjecttruth')
            """, statement: "visibility")
        #expect(try visibility.int64(0, 0) == 5 && visibility.int64(0, 1) == 5)
        try connection.query("SET enable_seqscan = off", statement: "prefer indexes")
        let plan = try connection.query(
            """
            EXPLAIN (FORMAT JSON) SELECT * FROM elasticc2_ppdbdiaforcedsource WHERE midpointtai BETWEEN 60600 AND 60600.01
            """, statement: "plan"
        ).value(0, 0, as: String.self)
        #expect(plan.contains("elasticc2_ppdbdiaforcedsource_midpointtai_a7960808"), "the rebuilt index is used")

        let second = try SynthLoader(settings: .init(objects: 300, seed: 4, firstObjectId: 20_000_000), conninfo: url, logger: Self.logger).run()
        #expect(!second.deferredIndexes)
        #expect(try Self.indexDefinitions(connection) == migrated)
        let stats = try PPDBStatistics.read(connection)
        #expect(stats.objects == 700 && stats.truthRows == 700)
        #expect(stats.forcedSources == Int64(first.forcedSources + second.forcedSources))
    }

    @Test("A load that fails part-way leaves no rows and every index in place")
    func failedLoadRollsBack() throws {
        let (url, connection, migrated) = try Self.migratedDatabase()
        // Truth rows are copied last, after every other table of the chunk: the load fails late.
        try connection.query("ALTER TABLE elasticc2_diaobjecttruth ADD CONSTRAINT refuse_all CHECK (gentype < 0)", statement: "refuse truth")
        #expect(throws: PostgresError.self) {
            _ = try SynthLoader(settings: .init(objects: 200, seed: 5), conninfo: url, logger: Self.logger).run()
        }
        #expect(try Self.indexDefinitions(connection) == migrated)
        let stats = try PPDBStatistics.read(connection)
        #expect(stats.objects == 0 && stats.sources == 0 && stats.forcedSources == 0 && stats.alerts == 0)
    }
}
