import Postgres

/// `elasticc2/ltcv` (and `ltcvs`): the light curves of the given objects. Unknown objects, and
/// objects without photometry up to `mjd_now`, are left out, as the TOM leaves them out.
public enum LightCurveEndpoint {
    static let parameters: Set<String> = ["objectid", "objectids", "mjd_now", "return_format", "include_hostinfo"]

    public static func answer(_ parameters: RequestParameters, on connection: PostgresConnection) throws -> [UInt8] {
        try parameters.allowOnly(Self.parameters)
        try parameters.allowOneOf("objectid", "objectids")
        guard let ids = try parameters.objectIds("objectid") ?? parameters.objectIds("objectids") else {
            throw APIParameterError("objectid or objectids is required")
        }
        let mjdNow = try parameters.double("mjd_now")
        let document = LightCurveDocument(
            format: try parameters.returnFormat(), hostInfo: parameters.truthy("include_hostinfo"), classification: false)
        // The TOM's `IN ()` fails on an empty list; here it simply finds nothing.
        let curves =
            ids.isEmpty
            ? []
            : try LightCurve.read(
                objects: "SELECT unnest(\(ids))", mjdNow: mjdNow, hostInfo: document.hostInfo, many: ids.count > 100, on: connection,
                statement: "light curves")
        return document.write(curves)
    }
}
