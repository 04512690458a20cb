import Foundation
import Logging
import Postgres
import PPDB
import Testing
import TestSupport

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
        try ["elasticc2_ppdbdiaobject", "elasticc2_ppdbdiasource", "elasticc2_ppdbdiaforcedsource", "elasticc2_ppdbalert", "elasticc2_diaobjecttruth"].map { table in
            try connection.query("SELECT count(*) || ':' || md5(string_agg(t::text, '|' ORDER BY t::text)) FROM \(table) t", statement: "fingerprint").string(0, 0) ?? ""
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

        let shape = try connection.query("""
            SELECT
              (SELECT avg((n = 1)::int) FROM (SELECT row_number() OVER (PARTITION BY diaobject_id ORDER BY midpointtai) n FROM elasticc2_ppdbdiasource) x),
              (SELECT avg(c) FROM (SELECT count(*) c FROM elasticc2_ppdbdiaforcedsource f JOIN elasticc2_ppdbdiaobject o USING (diaobject_id) WHERE o.isddf GROUP BY f.diaobject_id) d),
              (SELECT avg(c) FROM (SELECT count(*) c FROM elasticc2_ppdbdiaforcedsource f JOIN elasticc2_ppdbdiaobject o USING (diaobject_id) WHERE NOT o.isddf GROUP BY f.diaobject_id) w),
              (SELECT count(*) FROM elasticc2_ppdbdiasource WHERE diasource_id / 100000 <> diaobject_id OR snr < 5),
              (SELECT count(*) FROM elasticc2_ppdbalert a JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
                WHERE a.alert_id <> s.diasource_id OR a.diaobject_id <> s.diaobject_id),
              (SELECT count(*) FROM elasticc2_ppdbdiasource s JOIN elasticc2_ppdbdiaforcedsource f ON f.diaforcedsource_id = s.diasource_id
                WHERE f.psflux = s.psflux AND f.midpointtai = s.midpointtai),
              (SELECT count(*) FROM elasticc2_ppdbdiaforcedsource f JOIN
                 (SELECT diaobject_id, min(midpointtai) first FROM elasticc2_ppdbdiasource GROUP BY 1) s USING (diaobject_id)
                WHERE f.midpointtai < s.first - 30)
            """, statement: "synth shape")
        let withoutHistory = try shape.double(0, 0)!
        #expect((0.1...0.35).contains(withoutHistory), "alerts without history \(withoutHistory)")
        #expect(try shape.double(0, 1)! > 3 * shape.double(0, 2)!, "DDF objects carry far more photometry")
        #expect(try shape.int64(0, 3) == 0)
        #expect(try shape.int64(0, 4) == 0)
        #expect(try shape.int64(0, 5) == stats.sources)
        #expect(try shape.int64(0, 6) == 0)
    }
}
