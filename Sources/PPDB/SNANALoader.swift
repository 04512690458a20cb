import AvroSchemas
import FITS
import Foundation
import Logging
import Postgres

/// Loads SNANA FITS simulation output as ELAsTiCC2 distributes it (pairs of `*HEAD.FITS.gz` and
/// `*PHOT.FITS.gz`, plus `<dir>/<dirname>.DUMP` for truth) by the TOM's loader rules.
public struct SNANALoader {
    public struct Summary: Sendable, Equatable {
        public var objects = 0
        public var sources = 0
        public var forcedSources = 0
        public var truthRows = 0
        public var seconds = 0.0
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// FLUXCAL (zero point 27.5) to nJy (zero point 31.4).
    static let fluxScale = Float(pow(10.0, (31.4 - 27.5) / 2.5))
    static let sourceFlag: Int64 = 4096
    static let ddfPhotometryRows = 1000

    let connection: PostgresConnection
    let simVersion: String
    let logger: Logger

    public init(connection: PostgresConnection, simVersion: String = "2023-04-01", logger: Logger) {
        self.connection = connection
        self.simVersion = simVersion
        self.logger = logger
    }

    /// The FITS HEAD column for one of the diaObject's nullable floats.
    static func headColumn(for field: String) -> String {
        let renamed = ["mwebv": "MWEBV", "mwebv_err": "MWEBV_ERR", "z_final": "REDSHIFT_FINAL", "z_final_err": "REDSHIFT_FINAL_ERR"]
        if let name = renamed[field] { return name }
        for galaxy in ["hostgal", "hostgal2"] {
            let prefix = galaxy.uppercased()
            switch field {
            case "\(galaxy)_zspec": return "\(prefix)_SPECZ"
            case "\(galaxy)_zspec_err": return "\(prefix)_SPECZ_ERR"
            case "\(galaxy)_zphot": return "\(prefix)_PHOTOZ"
            case "\(galaxy)_zphot_err": return "\(prefix)_PHOTOZ_ERR"
            default: break
            }
        }
        // Band letters keep their case (HOSTGAL_MAG_u … HOSTGAL_MAG_Y); the rest is upper case.
        if field.contains("_mag_") || field.contains("_magerr_"), let last = field.split(separator: "_").last {
            return field.dropLast(last.count).uppercased() + last
        }
        return field.uppercased()
    }

    public func load(directories: [String]) throws -> Summary {
        let started = ContinuousClock.now
        var summary = Summary()
        for directory in directories {
            let url = URL(fileURLWithPath: directory)
            let heads = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix("HEAD.FITS.gz") }.sorted()
            guard !heads.isEmpty else { throw Failure(description: "no *HEAD.FITS.gz files in \(directory)") }
            var loadedObjects = Set<Int64>()
            for head in heads {
                let phot = head.replacingOccurrences(of: "HEAD.FITS.gz", with: "PHOT.FITS.gz")
                let counts = try loadPair(head: url.appendingPathComponent(head).path, phot: url.appendingPathComponent(phot).path)
                loadedObjects.formUnion(counts.objectIds)
                summary.objects += counts.objectIds.count
                summary.sources += counts.sources
                summary.forcedSources += counts.forced
            }
            let dump = url.appendingPathComponent(url.lastPathComponent + ".DUMP").path
            summary.truthRows += try loadTruth(dump: dump, objects: loadedObjects)
            logger.info("Loaded SNANA directory", metadata: ["directory": "\(directory)", "objects": "\(loadedObjects.count)"])
        }
        try connection.query("ANALYZE elasticc2_ppdbdiaobject, elasticc2_ppdbdiasource, elasticc2_ppdbdiaforcedsource, elasticc2_ppdbalert, elasticc2_diaobjecttruth",
                             statement: "analyze loaded tables")
        summary.seconds = (ContinuousClock.now - started) / .seconds(1)
        return summary
    }

    private func loadPair(head headPath: String, phot photPath: String) throws -> (objectIds: [Int64], sources: Int, forced: Int) {
        let head = try FITSTable(path: headPath)
        let phot = try FITSTable(path: photPath)
        let snids = try head.strings("SNID").map { text -> Int64 in
            guard let id = Int64(text) else { throw Failure(description: "SNID '\(text)' in \(headPath) is not an integer") }
            return id
        }
        let ras = try head.doubles("RA"), decs = try head.doubles("DEC")
        let first = try head.int64s("PTROBS_MIN"), last = try head.int64s("PTROBS_MAX")
        // Columns a simulation does not have (galactic models carry no host) load as NULL.
        let floatColumns = try DiaObject.optionalFloatFieldNames.map { field -> [Double]? in
            let name = Self.headColumn(for: field)
            return head.column(name) == nil ? nil : try head.doubles(name)
        }
        let mjds = try phot.doubles("MJD"), bands = try phot.strings("BAND"), flags = try phot.int64s("PHOTFLAG")
        let fluxes = try phot.doubles("FLUXCAL"), errors = try phot.doubles("FLUXCALERR")

        var objects: [(DiaObject, Bool)] = []
        var forced: [DiaForcedSource] = []
        var sources: [DiaSource] = []
        for row in 0..<head.rowCount {
            let objectId = snids[row]
            let rows = Int(first[row] - 1)...Int(last[row] - 1)
            guard rows.lowerBound >= 0, rows.upperBound < phot.rowCount else {
                throw Failure(description: "PTROBS range of SNID \(objectId) lies outside \(photPath)")
            }
            let object = DiaObject(diaObjectId: objectId, simVersion: simVersion, ra: ras[row], decl: decs[row],
                                   optionalFloats: floatColumns.map { $0.map { Float($0[row]) } })
            objects.append((object, rows.count > Self.ddfPhotometryRows))
            for (index, photRow) in rows.enumerated() {
                let id = objectId * 100_000 + Int64(index)
                let flux = Float(fluxes[photRow]) * Self.fluxScale, error = Float(errors[photRow]) * Self.fluxScale
                forced.append(DiaForcedSource(diaForcedSourceId: id, diaObjectId: objectId, midPointTai: mjds[photRow],
                                              filterName: bands[photRow], psFlux: flux, psFluxErr: error))
                if flags[photRow] & Self.sourceFlag != 0 {
                    sources.append(DiaSource(diaSourceId: id, diaObjectId: objectId, midPointTai: mjds[photRow], filterName: bands[photRow],
                                             ra: ras[row], decl: decs[row], psFlux: flux, psFluxErr: error, snr: flux / error))
                }
            }
        }
        try connection.transaction {
            try connection.copyIn(PPDBCopy.objects, statement: "copy SNANA objects") { buffer in
                for (object, isDDF) in objects { try PPDBCopy.write(object, isDDF: isDDF, to: buffer) }
            }
            try connection.copyIn(PPDBCopy.sources, statement: "copy SNANA sources") { buffer in
                for source in sources { try PPDBCopy.write(source, to: buffer) }
            }
            try connection.copyIn(PPDBCopy.alerts, statement: "copy SNANA alerts") { buffer in
                for source in sources { try PPDBCopy.writeAlert(for: source, to: buffer) }
            }
            try connection.copyIn(PPDBCopy.forcedSources, statement: "copy SNANA forced sources") { buffer in
                for row in forced { try PPDBCopy.write(row, to: buffer) }
            }
        }
        return (objects.map(\.0.diaObjectId), sources.count, forced.count)
    }

    /// The SNANA DUMP table (`VARNAMES:` then `SN:` rows) → truth rows for the loaded objects.
    private func loadTruth(dump path: String, objects: Set<Int64>) throws -> Int {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw Failure(description: "cannot read \(path)") }
        var names: [String] = []
        var rows: [[String: String]] = []
        for line in text.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let key = words.first else { continue }
            if key == "VARNAMES:" { names = words.dropFirst().map { $0.lowercased() } }
            if key == "SN:", !names.isEmpty {
                rows.append(Dictionary(zip(names, words.dropFirst()), uniquingKeysWith: { first, _ in first }))
            }
        }
        let columns = TOMSchema.truthColumns.dropLast().map { $0.name == "\"dec\"" ? "dec" : $0.name }
        var written = 0
        try connection.copyIn(PPDBCopy.truth, statement: "copy SNANA truth") { buffer in
            for row in rows {
                guard let cid = row["cid"].flatMap({ Int64($0) }), objects.contains(cid) else { continue }
                let values: [Double?] = columns.map { column in
                    let source = column == "sim_template_index" ? "non1a_index" : column
                    return row[source].flatMap(Double.init)
                }
                try PPDBCopy.writeTruth(values, objectId: cid, to: buffer)
                written += 1
            }
        }
        return written
    }
}
