import Postgres

/// One object's forced photometry from the TOM's promoted tables (`elasticc2_diaobject`,
/// `elasticc2_diaforcedsource`), as `ltcv` and `gethottransients` return it.
public struct LightCurve: Sendable, Equatable {
    public var objectId: Int64
    public var ra: Double
    public var dec: Double
    /// The first host galaxy's `hostInfoColumns`, when asked for.
    public var host: [Float?]
    /// The photometry as JSON lists, in time order, made by PostgreSQL: `mjd`, `band`, `flux`,
    /// `fluxerr`. Its `float4out`/`float8out` spell each number as the TOM's answers do, and
    /// formatting hundreds of thousands of points is the server's one big cost, done once.
    public var mjdJSON: [UInt8]
    public var bandJSON: [UInt8]
    public var fluxJSON: [UInt8]
    public var fluxErrJSON: [UInt8]

    /// Host columns in the TOM's order (its keys spell the Y band `y`).
    public static let hostInfoColumns: [String] =
        ["u", "g", "r", "i", "z", "y"].flatMap { ["hostgal_mag_\($0)", "hostgal_magerr_\($0)"] }
        + ["hostgal_ellipticity", "hostgal_sqradius", "hostgal_snsep"]

    /// The light curves of the objects `objectsSQL` selects (a subquery of `diaobject_id`s,
    /// written by us, its values bound as parameters), photometry up to `mjdNow` (inclusive),
    /// ordered by object id. Objects without such photometry are absent, as in the TOM. `many`:
    /// hundreds of objects or more.
    ///
    /// One row per object: each object's photometry is read in time order from our covering
    /// index `elasticcstream_diaforcedsource_lightcurve` (no heap, no sort) and aggregated there.
    static func read(
        objects objectsSQL: PostgresQuery, mjdNow: Double?, hostInfo: Bool, many: Bool, on connection: PostgresConnection, statement: String
    ) throws -> [LightCurve] {
        let hostSelect = hostInfo ? Self.hostInfoColumns.map { ", o.\($0)" }.joined() : ""
        let now = "$\(objectsSQL.bindings.count + 1)"
        let query = PostgresQuery(
            sql: """
                SELECT o.diaobject_id, o.ra, o.decl\(hostSelect), p.mjd, p.band, p.flux, p.fluxerr
                  FROM (SELECT DISTINCT chosen.id FROM (\(objectsSQL.sql)) AS chosen(id)) d
                  JOIN elasticc2_diaobject o ON o.diaobject_id = d.id
                 CROSS JOIN LATERAL (
                       SELECT array_to_json(array_agg(f.midpointtai)) AS mjd, array_to_json(array_agg(f.filtername)) AS band,
                              array_to_json(array_agg(f.psflux)) AS flux, array_to_json(array_agg(f.psfluxerr)) AS fluxerr
                         FROM (SELECT midpointtai, filtername, psflux, psfluxerr FROM elasticc2_diaforcedsource
                                WHERE diaobject_id = d.id AND (\(now)::double precision IS NULL OR midpointtai <= \(now))
                                ORDER BY midpointtai, diaforcedsource_id) f) p
                 WHERE p.mjd IS NOT NULL
                 ORDER BY o.diaobject_id
                """,
            bindings: objectsSQL.bindings + [mjdNow.map(PostgresValue.double) ?? .null])
        // JIT compilation costs more than it saves on these index-driven queries; PostgreSQL
        // only considers it for many objects, and a few need no extra round trips.
        let rows =
            many
            ? try connection.transaction {
                try connection.query("SET LOCAL jit = off", statement: statement)
                return try connection.query(query, statement: statement)
            } : try connection.query(query, statement: statement)
        // Found once by name: the host columns are there only with `hostInfo`.
        let host = try (hostInfo ? Self.hostInfoColumns : []).map { try rows.columnIndex($0) }
        let (mjd, band, flux, fluxError) = (
            try rows.columnIndex("mjd"), try rows.columnIndex("band"), try rows.columnIndex("flux"), try rows.columnIndex("fluxerr")
        )
        var curves: [LightCurve] = []
        curves.reserveCapacity(rows.rowCount)
        for row in rows.rows {
            curves.append(
                LightCurve(
                    objectId: try row.decode(column: "diaobject_id"), ra: try row.decode(column: "ra"), dec: try row.decode(column: "decl"),
                    host: try host.map { try row.decode(Float?.self, at: $0) },
                    mjdJSON: try row.textBytes(at: mjd), bandJSON: try row.textBytes(at: band), fluxJSON: try row.textBytes(at: flux),
                    fluxErrJSON: try row.textBytes(at: fluxError)))
        }
        return curves
    }
}
