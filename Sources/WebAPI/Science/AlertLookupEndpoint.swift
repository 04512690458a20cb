import AlertSending
import AvroSchemas
import JSON
import Postgres
import TOMDatabase

/// `elasticc2/getalert`: one alert (by `alertid` or `sourceid`) rebuilt from the PPDB tables by
/// the rules alert-sender uses, with a year of history as the TOM's `reconstruct()` gives;
/// written as the TOM writes it, the Avro schema's field names and order, without a status.
public enum AlertLookupEndpoint {
    static let parameters: Set<String> = ["alertid", "sourceid"]
    static let historyDays = 365.0

    public static func answer(_ parameters: RequestParameters, on connection: PostgresConnection) throws -> [UInt8] {
        try parameters.allowOnly(Self.parameters)
        try parameters.allowOneOf("alertid", "sourceid")
        let alertId = try parameters.int("alertid")
        let sourceId = try parameters.int("sourceid")
        guard alertId != nil || sourceId != nil else { throw APIParameterError("alertid or sourceid is required") }
        let found = try connection.query(
            """
            SELECT a.alert_id, \(unescaped: PPDBRows.sourceColumns(of: "s"))
              FROM elasticc2_ppdbalert a JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
             WHERE (\(alertId)::bigint IS NULL OR a.alert_id = \(alertId)) AND (\(sourceId)::bigint IS NULL OR a.diasource_id = \(sourceId))
             ORDER BY a.alert_id LIMIT 1
            """, statement: "find the alert")
        guard let row = found.rows.first else {
            throw APINotFound(alertId.map { "unknown alertid \($0)" } ?? "unknown sourceid \(sourceId ?? 0)")
        }
        let (foundAlertId, foundSourceId, foundObjectId, time, filter, ra, decl, flux, fluxError, snr) = try row.decode(
            (Int64, Int64, Int64?, Double, String, Double, Double, Float, Float, Float).self)
        let source = DiaSource(
            diaSourceId: foundSourceId, diaObjectId: foundObjectId, midPointTai: time, filterName: filter, ra: ra, decl: decl, psFlux: flux,
            psFluxErr: fluxError, snr: snr)
        guard let objectId = source.diaObjectId else { throw APINotFound("the alert's source has no object") }
        let history = try Self.history(objectId: objectId, through: source.midPointTai, on: connection)
        let alert = history.alert(alertId: foundAlertId, source: source, historyDays: Self.historyDays)
        var writer = JSONWriter(reservingCapacity: 4096)
        Self.write(alert, &writer)
        return writer.bytes
    }

    static func history(objectId: Int64, through: Double, on connection: PostgresConnection) throws -> ObjectHistory {
        let objects = try connection.query(
            "SELECT \(unescaped: PPDBRows.objectColumns) FROM elasticc2_ppdbdiaobject WHERE diaobject_id = \(objectId)",
            statement: "the alert's object")
        guard let objectRow = objects.rows.first else { throw APINotFound("the alert's object \(objectId) is not in the PPDB") }
        let (object, isDDF) = try PPDBRows.object(objectRow)
        let sources = try connection.query(
            """
            SELECT \(unescaped: PPDBRows.sourceColumns(of: "s")) FROM elasticc2_ppdbdiasource s
             WHERE diaobject_id = \(objectId) AND midpointtai <= \(through)
             ORDER BY midpointtai, diasource_id
            """, statement: "the alert's sources"
        ).rows.map(PPDBRows.source)
        let forcedSources = try connection.query(
            """
            SELECT \(unescaped: PPDBRows.forcedSourceColumns(of: "f")) FROM elasticc2_ppdbdiaforcedsource f
             WHERE diaobject_id = \(objectId) AND midpointtai < \(through)
             ORDER BY midpointtai, diaforcedsource_id
            """, statement: "the alert's forced sources"
        ).rows.map(PPDBRows.forcedSource)
        return ObjectHistory(
            object: object, isDDF: isDDF, sources: sources, forcedSources: forcedSources,
            firstSourceTime: sources.first?.midPointTai ?? through)
    }

    static func write(_ alert: Alert, _ writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("alertId")
        writer.int(alert.alertId)
        writer.key("diaSource")
        write(alert.diaSource, &writer)
        writer.key("prvDiaSources")
        writer.beginArray()
        for source in alert.prvDiaSources ?? [] { write(source, &writer) }
        writer.endArray()
        writer.key("prvDiaForcedSources")
        writer.beginArray()
        for forced in alert.prvDiaForcedSources ?? [] {
            writer.beginObject()
            writer.key("diaForcedSourceId")
            writer.int(forced.diaForcedSourceId)
            writer.key("diaObjectId")
            writer.int(forced.diaObjectId)
            writer.key("midPointTai")
            writer.double(forced.midPointTai)
            writer.key("filterName")
            writer.string(forced.filterName)
            writer.key("psFlux")
            writer.float(forced.psFlux)
            writer.key("psFluxErr")
            writer.float(forced.psFluxErr)
            writer.endObject()
        }
        writer.endArray()
        writer.key("diaObject")
        if let object = alert.diaObject {
            writer.beginObject()
            writer.key("diaObjectId")
            writer.int(object.diaObjectId)
            writer.key("simVersion")
            writer.optionalString(object.simVersion)
            writer.key("ra")
            writer.double(object.ra)
            writer.key("decl")
            writer.double(object.decl)
            for (name, value) in zip(DiaObject.optionalFloatFieldNames, object.optionalFloats) {
                writer.key(name)
                writer.optionalFloat(value)
            }
            writer.endObject()
        } else {
            writer.null()
        }
        writer.endObject()
    }

    static func write(_ source: DiaSource, _ writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("diaSourceId")
        writer.int(source.diaSourceId)
        writer.key("diaObjectId")
        writer.optionalInt(source.diaObjectId)
        writer.key("midPointTai")
        writer.double(source.midPointTai)
        writer.key("filterName")
        writer.string(source.filterName)
        writer.key("ra")
        writer.double(source.ra)
        writer.key("decl")
        writer.double(source.decl)
        writer.key("psFlux")
        writer.float(source.psFlux)
        writer.key("psFluxErr")
        writer.float(source.psFluxErr)
        writer.key("snr")
        writer.float(source.snr)
        writer.endObject()
    }
}
