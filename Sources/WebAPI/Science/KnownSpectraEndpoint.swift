import JSON
import Postgres

/// `elasticc2/getknownspectruminfo`: the reported spectra, filtered, ordered by mjd.
public enum KnownSpectraEndpoint {
    static let parameters: Set<String> = ["objectid", "facility", "mjd_min", "mjd_max", "classid", "z_min", "z_max", "since"]

    public static func answer(_ parameters: RequestParameters, on connection: PostgresConnection) throws -> [UInt8] {
        try parameters.allowOnly(Self.parameters)
        let ids = try parameters.objectIds("objectid")
        let facility = try parameters.string("facility")
        let classId = try parameters.int("classid")
        let since = try parameters.string("since").map { text throws(APIParameterError) in try TOMTime.parse(text, parameter: "since").date }
        let rows = try connection.query(
            """
            SELECT diaobject_id, facility, mjd, z, classid, \(unescaped: TOMTime.isoSQL("inserted_at"))
              FROM elasticc2_spectruminfo
             WHERE (\(ids)::bigint[] IS NULL OR diaobject_id = ANY(\(ids)))
               AND (\(facility)::text IS NULL OR facility = \(facility))
               AND (\(try parameters.double("mjd_min"))::real IS NULL OR mjd >= \(try parameters.double("mjd_min")))
               AND (\(try parameters.double("mjd_max"))::real IS NULL OR mjd <= \(try parameters.double("mjd_max")))
               AND (\(classId)::integer IS NULL OR classid = \(classId))
               AND (\(try parameters.double("z_min"))::real IS NULL OR z >= \(try parameters.double("z_min")))
               AND (\(try parameters.double("z_max"))::real IS NULL OR z <= \(try parameters.double("z_max")))
               AND (\(since.map(TOMTime.sqlText))::timestamptz IS NULL OR inserted_at >= \(since.map(TOMTime.sqlText))::timestamptz)
             ORDER BY mjd, specinfo_id
            """, statement: "known spectra")
        var writer = JSONWriter(reservingCapacity: 64 + rows.rowCount * 160)
        writer.beginObject()
        writer.key("status")
        writer.string("ok")
        writer.key("spectra")
        writer.beginArray()
        for row in rows.rows {
            let (objectId, facility, mjd, redshift, classId, reportTime) = try row.decode((Int64, String?, Float, Float?, Int64?, String).self)
            writer.beginObject()
            writer.key("objectid")
            writer.int(objectId)
            writer.key("facility")
            writer.optionalString(facility)
            writer.key("mjd")
            writer.float(mjd)
            writer.key("z")
            writer.optionalFloat(redshift)
            writer.key("classid")
            writer.optionalInt(classId)
            writer.key("report_time")
            writer.string(reportTime)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }
}
