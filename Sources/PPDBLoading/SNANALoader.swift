import AvroSchemas
import FITS
import Foundation
import Logging
import Postgres
import TOMDatabase

/// Loads SNANA FITS simulation output as ELAsTiCC2 distributes it (pairs of `*HEAD.FITS.gz` and
/// `*PHOT.FITS.gz`, plus `<dir>/<dirname>.DUMP` for truth) by the TOM's loader rules.
public struct SNANALoader: Sendable {
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
    /// Forced sources gathered from several file pairs before they are copied.
    static let rowsPerCopy = 100_000

    let connection: PostgresConnection
    let simVersion: String
    let logger: Logger

    public init(connection: PostgresConnection, simVersion: String = "2023-04-01", logger: Logger) {
        self.connection = connection
        self.simVersion = simVersion
        self.logger = logger
    }

    /// The FITS HEAD columns of the diaObject's nullable floats, in field order.
    static let headColumns = DiaObject.optionalFloatFieldNames.map(headColumn(for:))

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

    /// Loads the directories in one transaction: into empty PPDB tables as a bulk load (indexes
    /// built after the rows, rows frozen), the next file pair read while this one is copied.
    public func load(directories: [String]) throws -> Summary {
        let started = ContinuousClock.now
        var summary = Summary()
        let pairsByDirectory = try directories.map { directory -> [(head: String, phot: String)] in
            let heads = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix("HEAD.FITS.gz") }.sorted()
            guard !heads.isEmpty else { throw Failure(description: "no *HEAD.FITS.gz files in \(directory)") }
            let url = URL(fileURLWithPath: directory)
            return heads.map { head in
                (
                    url.appendingPathComponent(head).path,
                    url.appendingPathComponent(head.replacingOccurrences(of: "HEAD.FITS.gz", with: "PHOT.FITS.gz")).path
                )
            }
        }
        try connection.transaction {
            try BulkLoad.relaxForeignKeyChecks(on: connection, logger: logger)
            let bulk = try BulkLoad.beginIfEmpty(on: connection, tables: PPDBCopy.tables)
            let freeze = bulk?.freeze ?? false
            for (directory, pairs) in zip(directories, pairsByDirectory) {
                var loadedObjects = Set<Int64>()
                var pending = Prefetch { [self] in try readPair(head: pairs[0].head, phot: pairs[0].phot) }
                // Pairs are small (a few hundred objects): COPY a table once per many pairs, as
                // each statement costs about a millisecond whatever its size.
                var unwritten = PairRows()
                for index in pairs.indices {
                    let rows = try pending.value()
                    if index + 1 < pairs.count {
                        let pair = pairs[index + 1]
                        pending = Prefetch { [self] in try readPair(head: pair.head, phot: pair.phot) }
                    }
                    loadedObjects.formUnion(rows.objects.map(\.0.diaObjectId))
                    summary.objects += rows.objects.count
                    summary.sources += rows.sources.count
                    summary.forcedSources += rows.forced.count
                    unwritten.append(rows)
                    if unwritten.forced.count >= Self.rowsPerCopy || index == pairs.count - 1 {
                        try copy(unwritten, freeze: freeze)
                        unwritten = PairRows()
                    }
                }
                let url = URL(fileURLWithPath: directory)
                let dump = url.appendingPathComponent(url.lastPathComponent + ".DUMP").path
                summary.truthRows += try loadTruth(dump: dump, objects: loadedObjects, freeze: freeze)
                logger.info("Loaded SNANA directory", metadata: ["directory": "\(directory)", "objects": "\(loadedObjects.count)"])
            }
            try bulk?.finish(on: connection, logger: logger)
        }
        try connection.query("ANALYZE \(unescaped: PPDBCopy.tables.joined(separator: ", "))", statement: "analyze loaded tables")
        summary.seconds = (ContinuousClock.now - started) / .seconds(1)
        return summary
    }

    /// One HEAD/PHOT pair's rows, by the TOM's loader rules.
    struct PairRows: Sendable {
        var objects: [(DiaObject, Bool)] = []
        var sources: [DiaSource] = []
        var forced: [DiaForcedSource] = []

        mutating func append(_ other: PairRows) {
            objects += other.objects
            sources += other.sources
            forced += other.forced
        }
    }

    private func copy(_ rows: PairRows, freeze: Bool) throws {
        try PPDBCopy.copy(objects: rows.objects, sources: rows.sources, forced: rows.forced, on: connection, freeze: freeze, origin: "SNANA")
    }

    private func readPair(head headPath: String, phot photPath: String) throws -> PairRows {
        let head = try FITSTable(path: headPath)
        let phot = try FITSTable(path: photPath)
        let snids = try head.strings("SNID").map { text -> Int64 in
            guard let id = Int64(text) else { throw Failure(description: "SNID '\(text)' in \(headPath) is not an integer") }
            return id
        }
        let ras = try head.doubles("RA")
        let decs = try head.doubles("DEC")
        let first = try head.int64s("PTROBS_MIN")
        let last = try head.int64s("PTROBS_MAX")
        // Columns a simulation does not have (galactic models carry no host) load as NULL.
        let floatColumns = try Self.headColumns.map { name -> [Double]? in
            head.column(name) == nil ? nil : try head.doubles(name)
        }
        let mjds = try phot.doubles("MJD")
        let bands = try phot.strings("BAND")
        let flags = try phot.int64s("PHOTFLAG")
        let fluxes = try phot.doubles("FLUXCAL")
        let errors = try phot.doubles("FLUXCALERR")

        var objects: [(DiaObject, Bool)] = []
        var forced: [DiaForcedSource] = []
        var sources: [DiaSource] = []
        for row in 0..<head.rowCount {
            let objectId = snids[row]
            let rows = Int(first[row] - 1)...Int(last[row] - 1)
            guard rows.lowerBound >= 0, rows.upperBound < phot.rowCount else {
                throw Failure(description: "PTROBS range of SNID \(objectId) lies outside \(photPath)")
            }
            let object = DiaObject(
                diaObjectId: objectId, simVersion: simVersion, ra: ras[row], decl: decs[row],
                optionalFloats: floatColumns.map { $0.map { Float($0[row]) } })
            objects.append((object, rows.count > Self.ddfPhotometryRows))
            for (index, photRow) in rows.enumerated() {
                let id = objectId * 100_000 + Int64(index)
                let flux = Float(fluxes[photRow]) * Self.fluxScale
                let error = Float(errors[photRow]) * Self.fluxScale
                forced.append(
                    DiaForcedSource(
                        diaForcedSourceId: id, diaObjectId: objectId, midPointTai: mjds[photRow],
                        filterName: bands[photRow], psFlux: flux, psFluxErr: error))
                if flags[photRow] & Self.sourceFlag != 0 {
                    sources.append(
                        DiaSource(
                            diaSourceId: id, diaObjectId: objectId, midPointTai: mjds[photRow], filterName: bands[photRow],
                            ra: ras[row], decl: decs[row], psFlux: flux, psFluxErr: error, snr: flux / error))
                }
            }
        }
        return PairRows(objects: objects, sources: sources, forced: forced)
    }

    /// The SNANA DUMP table (`VARNAMES:` then `SN:` rows) → truth rows for the loaded objects.
    private func loadTruth(dump path: String, objects: Set<Int64>, freeze: Bool) throws -> Int {
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
        try connection.copyIn(PPDBCopy.truth, freeze: freeze, statement: "copy SNANA truth") { buffer in
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
