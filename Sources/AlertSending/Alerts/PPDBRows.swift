import AvroSchemas
import Postgres
import TOMDatabase

/// How the PPDB's rows become an alert's records: the columns a query selects, in order, and
/// their decoding, written once for alert-sender and the web API's `getalert`.
public enum PPDBRows {
    /// `elasticc2_ppdbdiasource`'s columns of a `DiaSource`, each prefixed by `table.`.
    public static func sourceColumns(of table: String) -> String {
        ["diasource_id", "diaobject_id", "midpointtai", "filtername", "ra", "decl", "psflux", "psfluxerr", "snr"]
            .map { "\(table).\($0)" }.joined(separator: ", ")
    }

    /// A row of exactly `sourceColumns`.
    @inlinable
    public static func source(_ row: PostgresRow) throws(PostgresError) -> DiaSource {
        let (id, objectId, time, filter, ra, decl, flux, fluxError, snr) = try row.decode(
            (Int64, Int64?, Double, String, Double, Double, Float, Float, Float).self)
        return DiaSource(
            diaSourceId: id, diaObjectId: objectId, midPointTai: time, filterName: filter, ra: ra, decl: decl, psFlux: flux, psFluxErr: fluxError,
            snr: snr)
    }

    /// `elasticc2_ppdbdiaforcedsource`'s columns of a `DiaForcedSource`, each prefixed by `table.`.
    public static func forcedSourceColumns(of table: String) -> String {
        ["diaforcedsource_id", "diaobject_id", "midpointtai", "filtername", "psflux", "psfluxerr"].map { "\(table).\($0)" }
            .joined(separator: ", ")
    }

    /// A row of exactly `forcedSourceColumns`.
    @inlinable
    public static func forcedSource(_ row: PostgresRow) throws(PostgresError) -> DiaForcedSource {
        let (id, objectId, time, filter, flux, fluxError) = try row.decode((Int64, Int64, Double, String, Float, Float).self)
        return DiaForcedSource(
            diaForcedSourceId: id, diaObjectId: objectId, midPointTai: time, filterName: filter, psFlux: flux, psFluxErr: fluxError)
    }

    /// `elasticc2_ppdbdiaobject`'s columns of a `DiaObject`, then `isddf`.
    public static let objectColumns = (["diaobject_id", "simversion", "ra", "decl"] + TOMSchema.diaObjectFloatColumns + ["isddf"])
        .joined(separator: ", ")

    /// A row of exactly `objectColumns`. Its float columns are as many as the schema lists, so
    /// they are read by position between the four leading columns and `isddf`.
    public static func object(_ row: PostgresRow) throws(PostgresError) -> (object: DiaObject, isDDF: Bool) {
        let floatCount = TOMSchema.diaObjectFloatColumns.count
        guard row.result.columnCount == 5 + floatCount else { throw row.result.widthError(expected: 5 + floatCount) }
        var floats: [Float?] = []
        floats.reserveCapacity(floatCount)
        for column in 4..<(4 + floatCount) { floats.append(try row.decode(Float?.self, at: column)) }
        let object = DiaObject(
            diaObjectId: try row.decode(at: 0), simVersion: try row.decode(at: 1), ra: try row.decode(at: 2), decl: try row.decode(at: 3),
            optionalFloats: floats)
        return (object, try row.decode(at: 4 + floatCount))
    }
}
