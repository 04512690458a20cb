import Foundation
import Postgres

/// `elasticc2/gethottransients`: the light curves of every object detected (a DiaSource, as
/// the TOM counts it) since `detected_since_mjd`, or in the last `detected_in_last_days` (30)
/// before `mjd_now` (or now); photometry up to `mjd_now`.
public enum HotTransientsEndpoint {
    static let parameters: Set<String> = [
        "detected_since_mjd", "detected_in_last_days", "mjd_now", "include_hostinfo", "return_format", "cheat_gentypes",
    ]
    /// Below this many objects one connection answers; above, the objects are split in
    /// contiguous id ranges read side by side on several pooled connections (PostgreSQL
    /// formats the photometry on one core per connection).
    static let objectsPerConnection = 2000

    public static func answer(_ parameters: RequestParameters, pool: PostgresPool) async throws -> [UInt8] {
        try parameters.allowOnly(Self.parameters)
        try parameters.allowOneOf("detected_since_mjd", "detected_in_last_days")
        let mjdNow = try parameters.double("mjd_now")
        let since =
            try parameters.double("detected_since_mjd") ?? (mjdNow ?? TOMTime.mjdNow)
            - (try parameters.days("detected_in_last_days", whole: false) ?? 30)
        let gentypes = try Self.gentypes(parameters)
        let document = LightCurveDocument(
            format: try parameters.returnFormat(), hostInfo: parameters.truthy("include_hostinfo"), classification: true)
        let detected = try await pool.withConnection { connection in
            try await connection.run { connection in
                try Self.detectedObjects(since: since, through: mjdNow, gentypes: gentypes, on: connection)
            }
        }
        let parts = min(
            max(1, detected.count / Self.objectsPerConnection), pool.maximumConnections, max(1, ProcessInfo.processInfo.activeProcessorCount))
        let chunkSize = (detected.count + parts - 1) / max(parts, 1)
        let chunks = stride(from: 0, to: detected.count, by: max(chunkSize, 1)).map { Array(detected[$0..<min($0 + chunkSize, detected.count)]) }
        let hostInfo = document.hostInfo
        let curves = try await withThrowingTaskGroup(of: (Int, [LightCurve]).self) { group in
            for (index, chunk) in chunks.enumerated() {
                group.addTask {
                    let curves = try await pool.withConnection { connection in
                        try await connection.run { connection in
                            try LightCurve.read(
                                objects: "SELECT unnest(\(chunk))", mjdNow: mjdNow, hostInfo: hostInfo, many: chunk.count > 100, on: connection,
                                statement: "hot transients")
                        }
                    }
                    return (index, curves)
                }
            }
            var parts = [[LightCurve]](repeating: [], count: chunks.count)
            for try await (index, curves) in group { parts[index] = curves }
            return parts.flatMap { $0 }
        }
        return document.write(curves)
    }

    /// `cheat_gentypes`: true types to keep (tests and simulations only).
    static func gentypes(_ parameters: RequestParameters) throws(APIParameterError) -> [Int32]? {
        guard let value = parameters.values["cheat_gentypes"] else { return nil }
        guard case .array(let elements) = value else { throw APIParameterError("cheat_gentypes must be a list") }
        return try elements.enumerated().map { position, element throws(APIParameterError) in
            Int32(truncatingIfNeeded: try RequestParameters.int(element, "cheat_gentypes[\(position)]"))
        }
    }

    /// Objects with a DiaSource in `[since, through]`, by id (our index
    /// `elasticcstream_diasource_detected` answers this without the table).
    static func detectedObjects(since: Double, through: Double?, gentypes: [Int32]?, on connection: PostgresConnection) throws -> [Int64] {
        let rows = try connection.query(
            """
            SELECT DISTINCT s.diaobject_id FROM elasticc2_diasource s
             WHERE s.midpointtai >= \(since) AND (\(through)::double precision IS NULL OR s.midpointtai <= \(through))
               AND (\(gentypes)::integer[] IS NULL
                    OR EXISTS (SELECT 1 FROM elasticc2_diaobjecttruth t WHERE t.diaobject_id = s.diaobject_id AND t.gentype = ANY(\(gentypes))))
             ORDER BY 1
            """, statement: "detected objects")
        return try rows.rows.map { try $0.decode(Int64.self) }
    }
}
