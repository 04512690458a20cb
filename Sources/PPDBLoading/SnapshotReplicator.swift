import Postgres
import TOMDatabase

/// A PPDB made bigger by copying its objects — sources, forced sources, alerts, truth — `copies`
/// − 1 more times with every id shifted by a power of ten above the largest id, times and
/// values unchanged: data shaped like the real thing (history lengths, alerts per night, row
/// order within a copy), at any size. The copies go in with the PPDB's own rows as they are.
public enum SnapshotReplicator {
    public struct Summary: Sendable, Equatable {
        public var stride: Int64
        public var objects: Int
        public var sources: Int
        public var forcedSources: Int
        public var alerts: Int
    }

    public static func replicate(copies: Int, on connection: PostgresConnection) throws -> Summary {
        precondition(copies >= 1, "at least one copy (the original)")
        return try connection.transaction {
            let largest = try connection.query(
                """
                SELECT greatest((SELECT max(diaobject_id) FROM elasticc2_ppdbdiaobject), (SELECT max(diasource_id) FROM elasticc2_ppdbdiasource),
                                (SELECT max(diaforcedsource_id) FROM elasticc2_ppdbdiaforcedsource), (SELECT max(alert_id) FROM elasticc2_ppdbalert), 0)
                """, statement: "largest id"
            ).single(Int64.self)
            var stride: Int64 = 10
            while stride <= largest { stride *= 10 }
            guard stride <= Int64.max / Int64(copies + 1) else {
                throw PostgresError(kind: .decoding, statement: "replicate", message: "ids would overflow bigint with \(copies) copies")
            }
            let shift = "c.n * \(stride)::bigint"
            let floats = TOMSchema.diaObjectFloatColumns.joined(separator: ", ")
            let truth = TOMSchema.truthColumns.map(\.name)
            let statements = [
                """
                INSERT INTO elasticc2_ppdbdiaobject (diaobject_id, simversion, ra, decl, \(floats), isddf)
                SELECT o.diaobject_id + \(shift), o.simversion, o.ra, o.decl, \(TOMSchema.diaObjectFloatColumns.map { "o.\($0)" }.joined(separator: ", ")), o.isddf
                  FROM elasticc2_ppdbdiaobject o CROSS JOIN generate_series(1, $1) AS c(n) WHERE o.diaobject_id < \(stride)
                """,
                """
                INSERT INTO elasticc2_diaobjecttruth (\(truth.joined(separator: ", ")))
                SELECT \(truth.map { $0 == "diaobject_id" ? "t.diaobject_id + \(shift)" : "t.\($0)" }.joined(separator: ", "))
                  FROM elasticc2_diaobjecttruth t CROSS JOIN generate_series(1, $1) AS c(n) WHERE t.diaobject_id < \(stride)
                """,
                """
                INSERT INTO elasticc2_ppdbdiasource (diasource_id, midpointtai, filtername, ra, decl, psflux, psfluxerr, snr, diaobject_id)
                SELECT s.diasource_id + \(shift), s.midpointtai, s.filtername, s.ra, s.decl, s.psflux, s.psfluxerr, s.snr, s.diaobject_id + \(shift)
                  FROM elasticc2_ppdbdiasource s CROSS JOIN generate_series(1, $1) AS c(n) WHERE s.diasource_id < \(stride)
                """,
                """
                INSERT INTO elasticc2_ppdbalert (alert_id, alertsenttimestamp, diaobject_id, diasource_id)
                SELECT a.alert_id + \(shift), NULL, a.diaobject_id + \(shift), a.diasource_id + \(shift)
                  FROM elasticc2_ppdbalert a CROSS JOIN generate_series(1, $1) AS c(n) WHERE a.alert_id < \(stride)
                """,
                """
                INSERT INTO elasticc2_ppdbdiaforcedsource (diaforcedsource_id, midpointtai, filtername, psflux, psfluxerr, diaobject_id)
                SELECT f.diaforcedsource_id + \(shift), f.midpointtai, f.filtername, f.psflux, f.psfluxerr, f.diaobject_id + \(shift)
                  FROM generate_series(1, $1) AS c(n) CROSS JOIN elasticc2_ppdbdiaforcedsource f WHERE f.diaforcedsource_id < \(stride)
                """,
            ]
            for statement in statements {
                try connection.query(PostgresQuery(sql: statement, bindings: [.integer(Int32(copies - 1))]), statement: "replicate the PPDB")
            }
            let counts = try connection.query(
                """
                SELECT (SELECT count(*) FROM elasticc2_ppdbdiaobject), (SELECT count(*) FROM elasticc2_ppdbdiasource),
                       (SELECT count(*) FROM elasticc2_ppdbdiaforcedsource), (SELECT count(*) FROM elasticc2_ppdbalert)
                """, statement: "replicated counts")
            let (objects, sources, forcedSources, alerts) = try counts.single((Int, Int, Int, Int).self)
            return Summary(stride: stride, objects: objects, sources: sources, forcedSources: forcedSources, alerts: alerts)
        }
    }
}
