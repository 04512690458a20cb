import Postgres

/// One object's forced photometry from the TOM's promoted tables (`elasticc2_diaobject`,
/// `elasticc2_diaforcedsource`), as `ltcv` and `gethottransients` return it.
public struct LightCurve: Sendable, Equatable {
    public var objectId: Int64
    public var ra: Double
    public var dec: Double
    /// The first host galaxy's `hostInfoColumns`, when asked for.
    public var host: [Float?]
    public var mjd: [Double] = []
    public var band: [String] = []
    public var flux: [Float] = []
    public var fluxErr: [Float] = []

    /// Host columns in the TOM's order (its keys spell the Y band `y`).
    public static let hostInfoColumns: [String] =
        ["u", "g", "r", "i", "z", "y"].flatMap { ["hostgal_mag_\($0)", "hostgal_magerr_\($0)"] }
        + ["hostgal_ellipticity", "hostgal_sqradius", "hostgal_snsep"]

    /// The light curves of the objects `objectsSQL` selects (a subquery of `diaobject_id`s,
    /// written by us, its values bound as parameters), photometry up to `mjdNow` (inclusive),
    /// ordered by object id then time. Objects without such photometry are absent, as in the TOM.
    static func read(
        objects objectsSQL: PostgresQuery, mjdNow: Double?, hostInfo: Bool, on connection: PostgresConnection, statement: String
    ) throws -> [LightCurve] {
        let hostSelect = hostInfo ? Self.hostInfoColumns.map { ", o.\($0)" }.joined() : ""
        let query = PostgresQuery(
            sql: """
                SELECT f.diaobject_id, o.ra, o.decl\(hostSelect), f.midpointtai, f.filtername, f.psflux, f.psfluxerr
                  FROM elasticc2_diaforcedsource f JOIN elasticc2_diaobject o ON o.diaobject_id = f.diaobject_id
                 WHERE f.diaobject_id IN (\(objectsSQL.sql))
                   AND ($\(objectsSQL.bindings.count + 1)::double precision IS NULL OR f.midpointtai <= $\(objectsSQL.bindings.count + 1))
                 ORDER BY f.diaobject_id, f.midpointtai, f.diaforcedsource_id
                """,
            bindings: objectsSQL.bindings + [mjdNow.map(PostgresValue.double) ?? .null])
        let rows = try connection.query(query, statement: statement)
        let hostCount = hostInfo ? Self.hostInfoColumns.count : 0
        let photometry = 3 + hostCount
        var curves: [LightCurve] = []
        for row in 0..<rows.rowCount {
            let objectId = try rows.value(row, 0, as: Int64.self)
            if curves.last?.objectId != objectId {
                var host: [Float?] = []
                host.reserveCapacity(hostCount)
                for column in 3..<(3 + hostCount) { host.append(try rows.optional(row, column, as: Float.self)) }
                curves.append(
                    LightCurve(objectId: objectId, ra: try rows.value(row, 1), dec: try rows.value(row, 2), host: host))
            }
            let last = curves.count - 1
            curves[last].mjd.append(try rows.value(row, photometry))
            curves[last].band.append(try rows.value(row, photometry + 1))
            curves[last].flux.append(try rows.value(row, photometry + 2))
            curves[last].fluxErr.append(try rows.value(row, photometry + 3))
        }
        return curves
    }
}
