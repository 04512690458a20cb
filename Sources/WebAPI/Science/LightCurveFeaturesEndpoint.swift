import JSON
import Postgres
import Scoring

/// `elasticc2/ltcvfeatures`: the light-curve features of one object's PPDB forced photometry,
/// every band together as the TOM takes it: up to a source's time (`sourceid`, which wins) or
/// all of an object's (`objectid`), cut at `through_mjd`; with the points if `includeltcv`.
public enum LightCurveFeaturesEndpoint {
    static let parameters: Set<String> = ["sourceid", "objectid", "through_mjd", "includeltcv", "features"]

    public static func answer(_ parameters: RequestParameters, on connection: PostgresConnection) throws -> [UInt8] {
        if parameters.has("features") {
            throw APIParameterError(
                "features: choosing features is not implemented (the TOM's neither); leave it out to get all \(LightCurveFeatures.names.count)")
        }
        let throughMJD = try parameters.double("through_mjd")
        let rows: PostgresResult
        if let sourceId = try parameters.int("sourceid") {
            let source = try connection.query(
                "SELECT diaobject_id, midpointtai FROM elasticc2_ppdbdiasource WHERE diasource_id = \(sourceId)", statement: "features source")
            guard source.rowCount == 1 else { throw APINotFound("no PPDB source with diasource_id \(sourceId)") }
            let (objectId, sourceTime) = try source.rows[0].decode((Int64, Double).self)
            rows = try points(objectId: objectId, through: min(sourceTime, throughMJD ?? .infinity), on: connection)
        } else if let objectId = try parameters.int("objectid") {
            let known = try connection.query(
                "SELECT 1 FROM elasticc2_ppdbdiaobject WHERE diaobject_id = \(objectId)", statement: "features object")
            guard known.rowCount == 1 else { throw APINotFound("no PPDB object with diaobject_id \(objectId)") }
            rows = try points(objectId: objectId, through: throughMJD, on: connection)
        } else {
            throw APIParameterError("give sourceid or objectid")
        }
        var times: [Double] = []
        var fluxes: [Float] = []
        var errors: [Float] = []
        times.reserveCapacity(rows.rowCount)
        fluxes.reserveCapacity(rows.rowCount)
        errors.reserveCapacity(rows.rowCount)
        for row in rows.rows {
            let (time, flux, error) = try row.decode((Double, Float, Float).self)
            times.append(time)
            fluxes.append(flux)
            errors.append(error)
        }
        let features: LightCurveFeatures
        do {
            features = try LightCurveFeatures(times: times, fluxes: fluxes.map(\.asPrintedDouble), errors: errors.map(\.asPrintedDouble))
        } catch {
            throw APIParameterError(error.description)
        }
        var writer = JSONWriter(reservingCapacity: 512 + (includesPoints(parameters) ? rows.rowCount * 60 : 0))
        writer.beginObject()
        for (name, value) in zip(LightCurveFeatures.names, features.values) {
            writer.key(name)
            writer.double(value)
        }
        if includesPoints(parameters) {
            writer.key("lightcurve")
            writer.beginObject()
            writer.key("mjd")
            writer.beginArray()
            for time in times { writer.double(time) }
            writer.endArray()
            for (name, values) in [("flux", fluxes), ("dflux", errors)] {
                writer.key(name)
                writer.beginArray()
                for value in values { writer.float(value) }
                writer.endArray()
            }
            writer.endObject()
        }
        writer.endObject()
        return writer.bytes
    }

    private static func includesPoints(_ parameters: RequestParameters) -> Bool { parameters.truthy("includeltcv") }

    private static func points(objectId: Int64, through: Double?, on connection: PostgresConnection) throws -> PostgresResult {
        try connection.query(
            """
            SELECT midpointtai, psflux, psfluxerr FROM elasticc2_ppdbdiaforcedsource
             WHERE diaobject_id = \(objectId) AND (\(through)::double precision IS NULL OR midpointtai <= \(through))
             ORDER BY midpointtai
            """, statement: "features points")
    }
}
