import Foundation
import Logging
import PPDBLoading
import Postgres
import TOMDatabase
import TestSupport
import Testing

/// `ppdb replicate`: the snapshot made K times bigger, each copy shaped exactly like the original.
@Suite("ppdb replicate: real-shaped data at any size")
struct ReplicatorTests {
    @Test("Three copies of the snapshot's PPDB: three times every table, ids shifted, each copy's histories the original's")
    func threeCopies() throws {
        let url = try PostgresTestServer.shared.makeDatabase("replicate")
        let connection = try PostgresConnection(url)
        _ = try Migrator.migrate(connection, logger: Logger(label: "replicate-tests"))
        try SnapshotRestorer.restore(dump: PostgresTestServer.snapshotPath, conninfo: url, includeBrokerTables: false)
        let summary = try SnapshotReplicator.replicate(copies: 3, on: connection)
        #expect(summary.objects == 3 * 346 && summary.sources == 3 * 1862 && summary.forcedSources == 3 * 52172 && summary.alerts == 3 * 1862)
        let truth = try connection.query("SELECT count(*) FROM elasticc2_diaobjecttruth", statement: "truth").value(0, 0, as: Int.self)
        #expect(truth == 3 * 346)
        // Every copy's object has the original's sources and forced sources at the same times.
        let mismatches = try connection.query(
            """
            WITH shape AS (
                SELECT o.diaobject_id % \(summary.stride) AS original, o.diaobject_id / \(summary.stride) AS copy,
                       (SELECT array_agg(midpointtai ORDER BY midpointtai) FROM elasticc2_ppdbdiasource s WHERE s.diaobject_id = o.diaobject_id) AS sources,
                       (SELECT count(*) FROM elasticc2_ppdbdiaforcedsource f WHERE f.diaobject_id = o.diaobject_id) AS forced
                  FROM elasticc2_ppdbdiaobject o)
            SELECT count(*) FROM shape a JOIN shape b ON b.original = a.original AND b.copy = 0
             WHERE a.sources IS DISTINCT FROM b.sources OR a.forced <> b.forced
            """, statement: "shapes"
        ).value(0, 0, as: Int.self)
        #expect(mismatches == 0)
        let copies = try connection.query(
            "SELECT count(DISTINCT diaobject_id / \(summary.stride)) FROM elasticc2_ppdbalert WHERE alertsenttimestamp IS NULL", statement: "copies"
        ).value(0, 0, as: Int.self)
        #expect(copies == 3)
        // Alerts point at their own copy's source and object.
        let crossed = try connection.query(
            """
            SELECT count(*) FROM elasticc2_ppdbalert a JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
             WHERE s.diaobject_id <> a.diaobject_id
            """, statement: "crossed"
        ).value(0, 0, as: Int.self)
        #expect(crossed == 0)
    }
}
