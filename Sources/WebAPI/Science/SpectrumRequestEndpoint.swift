import JSON
import Postgres

/// `elasticc2/askforspectrum`: a spectrum recommender (RESSPECT, say) asks for spectra of
/// objects with priorities. One row per object and requester (`"<objectid> ; <requester>"`);
/// asking again updates priority and time. Priorities are clipped to 0–5 as the TOM clips them.
public enum SpectrumRequestEndpoint {
    static let parameters: Set<String> = ["requester", "objectids", "priorities"]

    public static func answer(_ parameters: RequestParameters, userId: Int32, on connection: PostgresConnection) throws -> [UInt8] {
        try parameters.allowOnly(Self.parameters)
        let requester = try parameters.nonEmptyString("requester")
        guard case .array(let idValues) = try parameters.require("objectids") else { throw APIParameterError("objectids must be a list") }
        guard case .array(let priorityValues) = try parameters.require("priorities") else { throw APIParameterError("priorities must be a list") }
        guard idValues.count == priorityValues.count else {
            throw APIParameterError("objectids and priorities must have the same length (\(idValues.count) and \(priorityValues.count))")
        }
        // The last priority given for an object wins, as a second request would.
        var priorityById: [Int64: Int32] = [:]
        var order: [Int64] = []
        for position in idValues.indices {
            let id = try RequestParameters.int(idValues[position], "objectids[\(position)]")
            let priority = try RequestParameters.int(priorityValues[position], "priorities[\(position)]")
            if priorityById[id] == nil { order.append(id) }
            priorityById[id] = Int32(min(max(priority, 0), 5))
        }
        let priorities = order.map { priorityById[$0] ?? 0 }
        let count = try connection.transaction {
            try KnownObjects.requireKnown(order, parameter: "objectids", on: connection)
            return try connection.query(
                """
                INSERT INTO elasticc2_wantedspectra (wantspec_id, wanttime, requester, priority, diaobject_id, user_id)
                SELECT w.id::text || ' ; ' || \(requester), now(), \(requester), w.priority, w.id, \(userId)
                  FROM unnest(\(order), \(priorities)) AS w(id, priority)
                ON CONFLICT (wantspec_id) DO UPDATE
                   SET wanttime = EXCLUDED.wanttime, priority = EXCLUDED.priority, user_id = EXCLUDED.user_id
                """, statement: "ask for spectra"
            ).affectedRows
        }
        return JSONValue.object([("status", .string("ok")), ("message", .string("wanted spectra created")), ("num", .int(Int64(count)))])
            .serialized
    }
}
