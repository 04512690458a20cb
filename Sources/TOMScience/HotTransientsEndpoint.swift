import Postgres

/// `elasticc2/gethottransients`: the light curves of every object detected (a DiaSource, as
/// the TOM counts it) since `detected_since_mjd`, or in the last `detected_in_last_days` (30)
/// before `mjd_now` (or now); photometry up to `mjd_now`.
public enum HotTransientsEndpoint {
    static let parameters: Set<String> = [
        "detected_since_mjd", "detected_in_last_days", "mjd_now", "include_hostinfo", "return_format", "cheat_gentypes",
    ]

    public static func answer(_ parameters: RequestParameters, on connection: PostgresConnection) throws -> [UInt8] {
        try parameters.allowOnly(Self.parameters)
        try parameters.allowOneOf("detected_since_mjd", "detected_in_last_days")
        let mjdNow = try parameters.double("mjd_now")
        let since = try parameters.double("detected_since_mjd") ?? (mjdNow ?? TOMTime.mjdNow) - (try parameters.double("detected_in_last_days") ?? 30)
        var gentypes: [Int32]? = nil
        if let value = parameters.values["cheat_gentypes"] {
            guard case .array(let elements) = value else { throw APIParameterError("cheat_gentypes must be a list") }
            gentypes = try elements.enumerated().map { position, element throws(APIParameterError) in
                Int32(truncatingIfNeeded: try RequestParameters.int(element, "cheat_gentypes[\(position)]"))
            }
        }
        let document = LightCurveDocument(
            format: try parameters.returnFormat(), hostInfo: parameters.truthy("include_hostinfo"), classification: true)
        let detected: PostgresQuery =
            if let gentypes {
                """
                SELECT s.diaobject_id FROM elasticc2_diasource s JOIN elasticc2_diaobjecttruth t ON t.diaobject_id = s.diaobject_id
                 WHERE s.midpointtai >= \(since) AND (\(mjdNow)::double precision IS NULL OR s.midpointtai <= \(mjdNow))
                   AND t.gentype = ANY(\(gentypes))
                """
            } else {
                """
                SELECT s.diaobject_id FROM elasticc2_diasource s
                 WHERE s.midpointtai >= \(since) AND (\(mjdNow)::double precision IS NULL OR s.midpointtai <= \(mjdNow))
                """
            }
        let curves = try LightCurve.read(
            objects: detected, mjdNow: mjdNow, hostInfo: document.hostInfo, on: connection, statement: "hot transients")
        return document.write(curves)
    }
}
