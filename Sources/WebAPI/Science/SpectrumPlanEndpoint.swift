import Foundation
import JSON
import Postgres

/// `elasticc2/planspectrum` and `elasticc2/removespectrumplan`: a facility declares (or takes
/// back) that it will take a spectrum of an object, so others can leave it alone.
public enum SpectrumPlanEndpoint {
    static let planParameters: Set<String> = ["objectid", "facility", "plantime", "comment"]
    static let removeParameters: Set<String> = ["objectid", "facility"]

    /// Replaces the facility's plan for the object; answers with what was stored.
    public static func plan(_ parameters: RequestParameters, on connection: PostgresConnection) throws -> [UInt8] {
        try parameters.allowOnly(Self.planParameters)
        guard let objectId = try parameters.int("objectid") else { throw APIParameterError("objectid is required") }
        let facility = try parameters.nonEmptyString("facility")
        var planTime: (date: Date, naive: Bool)? = nil
        if let text = try parameters.string("plantime") { planTime = try TOMTime.parse(text, parameter: "plantime") }
        let comment = try parameters.string("comment") ?? ""
        let createdAt = try connection.transaction {
            try KnownObjects.requireKnown([objectId], parameter: "objectid", on: connection)
            try connection.query(
                "DELETE FROM elasticc2_plannedspectra WHERE diaobject_id = \(objectId) AND facility = \(facility)",
                statement: "replace spectrum plan")
            return try connection.query(
                """
                INSERT INTO elasticc2_plannedspectra (facility, created_at, plantime, comment, diaobject_id)
                VALUES (\(facility), now(), \(planTime.map { TOMTime.sqlText($0.date) })::timestamptz, \(comment), \(objectId))
                RETURNING \(unescaped: TOMTime.isoSQL("created_at"))
                """, statement: "plan a spectrum"
            ).single(String.self)
        }
        return JSONValue.object([
            ("status", .string("ok")), ("objectid", .int(objectId)), ("facility", .string(facility)), ("created_at", .string(createdAt)),
            ("plantime", planTime.map { .string(TOMTime.djangoText($0.date, naive: $0.naive)) } ?? .null), ("comment", .string(comment)),
        ]).serialized
    }

    /// Deletes the facility's plans for the object; `n_deleted` says how many there were.
    public static func remove(_ parameters: RequestParameters, on connection: PostgresConnection) throws -> [UInt8] {
        try parameters.allowOnly(Self.removeParameters)
        guard let objectId = try parameters.int("objectid") else { throw APIParameterError("objectid is required") }
        let facility = try parameters.nonEmptyString("facility")
        let deleted = try connection.query(
            "DELETE FROM elasticc2_plannedspectra WHERE diaobject_id = \(objectId) AND facility = \(facility)",
            statement: "remove spectrum plan"
        ).affectedRows
        return JSONValue.object([
            ("status", .string("ok")), ("facility", .string(facility)), ("objectid", .int(objectId)), ("n_deleted", .int(Int64(deleted))),
        ]).serialized
    }
}
