import AvroSchemas
import Postgres
import TOMDatabase

/// The tables a load fills: the PPDB's, or the TOM's training copies of them.
public struct PPDBTableSet: Sendable, Equatable {
    public var objects: String, sources: String, forcedSources: String, alerts: String, truth: String

    public static let ppdb = PPDBTableSet(
        objects: "elasticc2_ppdbdiaobject", sources: "elasticc2_ppdbdiasource", forcedSources: "elasticc2_ppdbdiaforcedsource",
        alerts: "elasticc2_ppdbalert", truth: "elasticc2_diaobjecttruth")
    public static let training = PPDBTableSet(
        objects: "elasticc2_trainingdiaobject", sources: "elasticc2_trainingdiasource",
        forcedSources: "elasticc2_trainingdiaforcedsource", alerts: "elasticc2_trainingalert", truth: "elasticc2_trainingdiaobjecttruth")

    public var all: [String] { [objects, sources, forcedSources, alerts, truth] }

    var objectsCopy: String {
        "COPY \(objects) (diaobject_id, simversion, ra, decl, " + TOMSchema.diaObjectFloatColumns.joined(separator: ", ") + ", isddf) FROM STDIN"
    }
    var sourcesCopy: String {
        "COPY \(sources) (diasource_id, midpointtai, filtername, ra, decl, psflux, psfluxerr, snr, diaobject_id) FROM STDIN"
    }
    var forcedSourcesCopy: String {
        "COPY \(forcedSources) (diaforcedsource_id, midpointtai, filtername, psflux, psfluxerr, diaobject_id) FROM STDIN"
    }
    var alertsCopy: String { "COPY \(alerts) (alert_id, alertsenttimestamp, diaobject_id, diasource_id) FROM STDIN" }
    var truthCopy: String { "COPY \(truth) (" + TOMSchema.truthColumns.map(\.name).joined(separator: ", ") + ") FROM STDIN" }
}

/// COPY statements and row writers for the PPDB tables, shared by every loader.
enum PPDBCopy {
    /// Every table these statements fill.
    static let tables = PPDBTableSet.ppdb.all
    static let truth = PPDBTableSet.ppdb.truthCopy
    /// How each truth value is written, in `TOMSchema.truthColumns` order without diaobject_id.
    enum TruthValueType { case integer, bigint, real, double }
    static let truthValueTypes: [TruthValueType] = TOMSchema.truthColumns.dropLast().map { column in
        if column.type.hasPrefix("integer") { return .integer }
        if column.type.hasPrefix("bigint") { return .bigint }
        if column.type.hasPrefix("real") { return .real }
        return .double
    }

    /// Copies objects, their sources, an alert per source, and forced sources, in that order
    /// (sources and alerts refer to objects): the one COPY sequence every loader uses.
    static func copy(
        objects: [(DiaObject, Bool)], sources: [DiaSource], forced: [DiaForcedSource], into tables: PPDBTableSet = .ppdb,
        on connection: PostgresConnection, freeze: Bool, origin: String
    ) throws {
        try connection.copyIn(tables.objectsCopy, freeze: freeze, statement: "copy \(origin) objects") { buffer in
            for (object, isDDF) in objects { try write(object, isDDF: isDDF, to: buffer) }
        }
        try connection.copyIn(tables.sourcesCopy, freeze: freeze, statement: "copy \(origin) sources") { buffer in
            for source in sources { try write(source, to: buffer) }
        }
        try connection.copyIn(tables.alertsCopy, freeze: freeze, statement: "copy \(origin) alerts") { buffer in
            for source in sources { try writeAlert(for: source, to: buffer) }
        }
        try connection.copyIn(tables.forcedSourcesCopy, freeze: freeze, statement: "copy \(origin) forced sources") { buffer in
            for row in forced { try write(row, to: buffer) }
        }
    }

    static func write(_ object: DiaObject, isDDF: Bool, to buffer: CopyInBuffer) throws {
        buffer.append(object.diaObjectId)
        buffer.append(object.simVersion)
        buffer.append(object.ra)
        buffer.append(object.decl)
        for value in object.optionalFloats { buffer.append(value) }
        buffer.append(isDDF)
        try buffer.endRow()
    }

    static func write(_ source: DiaSource, to buffer: CopyInBuffer) throws {
        buffer.append(source.diaSourceId)
        buffer.append(source.midPointTai)
        buffer.append(source.filterName)
        buffer.append(source.ra)
        buffer.append(source.decl)
        buffer.append(source.psFlux)
        buffer.append(source.psFluxErr)
        buffer.append(source.snr)
        buffer.append(source.diaObjectId)
        try buffer.endRow()
    }

    static func write(_ forced: DiaForcedSource, to buffer: CopyInBuffer) throws {
        buffer.append(forced.diaForcedSourceId)
        buffer.append(forced.midPointTai)
        buffer.append(forced.filterName)
        buffer.append(forced.psFlux)
        buffer.append(forced.psFluxErr)
        buffer.append(forced.diaObjectId)
        try buffer.endRow()
    }

    /// Each source is an alert with the source's id.
    static func writeAlert(for source: DiaSource, to buffer: CopyInBuffer) throws {
        buffer.append(source.diaSourceId)
        buffer.appendNull()
        buffer.append(source.diaObjectId)
        buffer.append(source.diaSourceId)
        try buffer.endRow()
    }

    /// Truth values in `TOMSchema.truthColumns` order without the trailing diaobject_id; nil is NULL.
    static func writeTruth(_ values: [Double?], objectId: Int64, to buffer: CopyInBuffer) throws {
        for (index, (type, value)) in zip(truthValueTypes, values).enumerated() {
            guard let value else {
                buffer.appendNull()
                continue
            }
            switch type {
            case .integer:
                guard let integer = Int32(exactly: value.rounded(.towardZero)) else { throw TruthValueError(column: index, value: value) }
                buffer.append(integer)
            case .bigint:
                guard let integer = Int64(exactly: value.rounded(.towardZero)) else { throw TruthValueError(column: index, value: value) }
                buffer.append(integer)
            case .real: buffer.append(Float(value))
            case .double: buffer.append(value)
            }
        }
        buffer.append(objectId)
        try buffer.endRow()
    }
}

/// A truth value that does not fit its integer column.
struct TruthValueError: Error, CustomStringConvertible {
    let column: Int
    let value: Double
    var description: String { "truth column \(TOMSchema.truthColumns[column].name) cannot hold \(value)" }
}
