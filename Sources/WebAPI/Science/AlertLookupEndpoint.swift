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
            SELECT a.alert_id, s.diasource_id, s.diaobject_id, s.midpointtai, s.filtername, s.ra, s.decl, s.psflux, s.psfluxerr, s.snr
              FROM elasticc2_ppdbalert a JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
             WHERE (\(alertId)::bigint IS NULL OR a.alert_id = \(alertId)) AND (\(sourceId)::bigint IS NULL OR a.diasource_id = \(sourceId))
             ORDER BY a.alert_id LIMIT 1
            """, statement: "find the alert")
        guard found.rowCount == 1 else {
            throw APINotFound(alertId.map { "unknown alertid \($0)" } ?? "unknown sourceid \(sourceId ?? 0)")
        }
        let source = DiaSource(
            diaSourceId: try found.value(0, 1), diaObjectId: try found.optional(0, 2), midPointTai: try found.value(0, 3),
            filterName: try found.value(0, 4), ra: try found.value(0, 5), decl: try found.value(0, 6), psFlux: try found.value(0, 7),
            psFluxErr: try found.value(0, 8), snr: try found.value(0, 9))
        guard let objectId = source.diaObjectId else { throw APINotFound("the alert's source has no object") }
        let history = try Self.history(objectId: objectId, through: source.midPointTai, on: connection)
        let alert = history.alert(alertId: try found.value(0, 0), source: source, historyDays: Self.historyDays)
        var writer = JSONWriter(reservingCapacity: 4096)
        Self.write(alert, &writer)
        return writer.bytes
    }

    static func history(objectId: Int64, through: Double, on connection: PostgresConnection) throws -> ObjectHistory {
        let objects = try connection.query(
            """
            SELECT diaobject_id, simversion, ra, decl, \(unescaped: TOMSchema.diaObjectFloatColumns.joined(separator: ", ")), isddf
              FROM elasticc2_ppdbdiaobject WHERE diaobject_id = \(objectId)
            """, statement: "the alert's object")
        guard objects.rowCount == 1 else { throw APINotFound("the alert's object \(objectId) is not in the PPDB") }
        let floatCount = TOMSchema.diaObjectFloatColumns.count
        let floats = try (4..<(4 + floatCount)).map { column in try objects.optional(0, column, as: Float.self) }
        let object = DiaObject(
            diaObjectId: objectId, simVersion: try objects.optional(0, 1), ra: try objects.value(0, 2), decl: try objects.value(0, 3),
            optionalFloats: floats)
        let rows = try connection.query(
            """
            SELECT diasource_id, diaobject_id, midpointtai, filtername, ra, decl, psflux, psfluxerr, snr
              FROM elasticc2_ppdbdiasource WHERE diaobject_id = \(objectId) AND midpointtai <= \(through)
             ORDER BY midpointtai, diasource_id
            """, statement: "the alert's sources")
        let sources = try (0..<rows.rowCount).map { row in
            DiaSource(
                diaSourceId: try rows.value(row, 0), diaObjectId: try rows.optional(row, 1), midPointTai: try rows.value(row, 2),
                filterName: try rows.value(row, 3), ra: try rows.value(row, 4), decl: try rows.value(row, 5), psFlux: try rows.value(row, 6),
                psFluxErr: try rows.value(row, 7), snr: try rows.value(row, 8))
        }
        let forced = try connection.query(
            """
            SELECT diaforcedsource_id, diaobject_id, midpointtai, filtername, psflux, psfluxerr
              FROM elasticc2_ppdbdiaforcedsource WHERE diaobject_id = \(objectId) AND midpointtai < \(through)
             ORDER BY midpointtai, diaforcedsource_id
            """, statement: "the alert's forced sources")
        let forcedSources = try (0..<forced.rowCount).map { row in
            DiaForcedSource(
                diaForcedSourceId: try forced.value(row, 0), diaObjectId: try forced.value(row, 1), midPointTai: try forced.value(row, 2),
                filterName: try forced.value(row, 3), psFlux: try forced.value(row, 4), psFluxErr: try forced.value(row, 5))
        }
        return ObjectHistory(
            object: object, isDDF: try objects.value(0, 4 + floatCount), sources: sources, forcedSources: forcedSources,
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
