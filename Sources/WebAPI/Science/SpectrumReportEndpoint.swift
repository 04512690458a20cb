import JSON
import Postgres

/// `elasticc2/reportspectruminfo`: a facility reports a spectrum it took (redshift and class
/// may be unknown: null or ""). Its plan for the object and every request for the object go.
public enum SpectrumReportEndpoint {
    static let parameters: Set<String> = ["objectid", "facility", "mjd", "z", "classid"]

    public static func answer(_ parameters: RequestParameters, on connection: PostgresConnection) throws -> [UInt8] {
        try parameters.allowOnly(Self.parameters)
        let missing = Self.parameters.filter { !parameters.has($0) }.sorted()
        guard missing.isEmpty else { throw APIParameterError("missing required parameters: \(missing.joined(separator: ", "))") }
        guard let objectId = try parameters.int("objectid") else { throw APIParameterError("objectid is required") }
        let facility = try parameters.nonEmptyString("facility")
        guard let mjd = try parameters.double("mjd") else { throw APIParameterError("mjd is required") }
        let z = try blankable("z") { value throws(APIParameterError) in try RequestParameters.double(value, "z") }
        let classId = try blankable("classid") { value throws(APIParameterError) in try RequestParameters.int(value, "classid") }
        guard classId.map({ Int64(Int32.min)...Int64(Int32.max) ~= $0 }) ?? true else {
            throw APIParameterError("classid \(classId ?? 0) is out of range")
        }

        func blankable<T>(_ name: String, _ convert: (JSONValue) throws(APIParameterError) -> T) throws(APIParameterError) -> T? {
            switch parameters.values[name] {
            case nil, .null?, .string("")?: return nil
            case let value?: return try convert(value)
            }
        }

        let insertedAt = try connection.transaction {
            try KnownObjects.requireKnown([objectId], parameter: "objectid", on: connection)
            let inserted = try connection.query(
                """
                INSERT INTO elasticc2_spectruminfo (facility, inserted_at, mjd, z, classid, diaobject_id)
                VALUES (\(facility), now(), \(Float(mjd)), \(z.map(Float.init)), \(classId.map(Int32.init)), \(objectId))
                RETURNING \(unescaped: TOMTime.isoSQL("inserted_at"))
                """, statement: "report a spectrum"
            ).single(String.self)
            try connection.query(
                "DELETE FROM elasticc2_plannedspectra WHERE diaobject_id = \(objectId) AND facility = \(facility)",
                statement: "drop the fulfilled plan")
            try connection.query("DELETE FROM elasticc2_wantedspectra WHERE diaobject_id = \(objectId)", statement: "drop fulfilled requests")
            return inserted
        }
        return JSONValue.object([
            ("status", .string("ok")), ("objectid", .int(objectId)), ("facility", .string(facility)), ("inserted_at", .string(insertedAt)),
            ("mjd", .double(mjd)), ("z", z.map(JSONValue.double) ?? .null), ("classid", classId.map(JSONValue.int) ?? .null),
        ]).serialized
    }
}
