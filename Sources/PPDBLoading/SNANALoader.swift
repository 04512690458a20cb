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

    /// The TOM's `load_snana_fits` options, with its defaults.
    public struct Options: Sendable {
        public var simVersion = "2023-04-01"
        /// Forced source `i` of object `SNID` gets id `SNID × maxSourcesPerObject + i`.
        public var maxSourcesPerObject: Int64 = 100_000
        /// The PHOTFLAG bit that makes a forced source a detection (a DiaSource and an alert).
        public var photflagDetect: Int64 = 4096
        /// FLUXCAL's zero point, and the alerts' (nJy): fluxes are scaled from one to the other.
        public var snanaZeropoint = 27.5
        public var alertZeropoint = 31.4
        public var tables = PPDBTableSet.ppdb
        /// HEAD file names to load in each directory (`-f`); empty: every `*HEAD.FITS.gz`.
        public var files: [String] = []
        /// File pairs read ahead of the one being copied (`-n`).
        public var readers = 2
        /// Keep the tables' indexes while loading into empty tables (`--dont-disable-indexes-fks`).
        public var keepIndexes = false
        /// Read and count, write nothing (the TOM's default without `--do`).
        public var dryRun = false

        public init() {}

        var fluxScale: Float { Float(pow(10.0, (alertZeropoint - snanaZeropoint) / 2.5)) }
    }

    static let ddfPhotometryRows = 1000
    /// Forced sources gathered from several file pairs before they are copied.
    static let rowsPerCopy = 100_000

    let connection: PostgresConnection?
    let options: Options
    let logger: Logger

    /// `connection` may be nil for a dry run.
    public init(connection: PostgresConnection?, options: Options = Options(), logger: Logger) {
        self.connection = connection
        self.options = options
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

    /// The HEAD/PHOT pairs of each directory (`options.files`, or every `*HEAD.FITS.gz`), each
    /// file checked to exist before anything is loaded, as the TOM's loader checks.
    func filePairs(_ directories: [String]) throws -> [[(head: String, phot: String)]] {
        try directories.map { directory in
            let url = URL(fileURLWithPath: directory)
            let heads =
                options.files.isEmpty
                ? try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix("HEAD.FITS.gz") }.sorted() : options.files
            guard !heads.isEmpty else { throw Failure(description: "no *HEAD.FITS.gz files in \(directory)") }
            return try heads.map { head in
                guard let range = head.range(of: "HEAD.FITS.gz") else { throw Failure(description: "\(head) is not a *HEAD.FITS.gz file name") }
                let pair = (
                    url.appendingPathComponent(head).path, url.appendingPathComponent(head.replacingCharacters(in: range, with: "PHOT.FITS.gz")).path
                )
                for path in [pair.0, pair.1] where !FileManager.default.fileExists(atPath: path) {
                    throw Failure(description: "can't read \(path)")
                }
                return pair
            }
        }
    }

    /// Loads the directories in one transaction: into empty tables as a bulk load (indexes built
    /// after the rows, rows frozen) unless `keepIndexes`, the next file pairs read while this one
    /// is copied. A dry run reads and counts every file and writes nothing.
    public func load(directories: [String]) throws -> Summary {
        let started = ContinuousClock.now
        var summary = Summary()
        let pairsByDirectory = try filePairs(directories)
        guard let connection, !options.dryRun else {
            for pairs in pairsByDirectory {
                for pair in pairs {
                    let rows = try readPair(head: pair.head, phot: pair.phot)
                    summary.objects += rows.objects.count
                    summary.sources += rows.sources.count
                    summary.forcedSources += rows.forced.count
                }
            }
            summary.seconds = (ContinuousClock.now - started) / .seconds(1)
            return summary
        }
        let tables = options.tables
        try connection.transaction {
            try BulkLoad.relaxForeignKeyChecks(on: connection, logger: logger)
            let bulk = options.keepIndexes ? nil : try BulkLoad.beginIfEmpty(on: connection, tables: tables.all)
            let freeze = bulk?.freeze ?? false
            for (directory, pairs) in zip(directories, pairsByDirectory) {
                var loadedObjects = Set<Int64>()
                // Pairs are read `readers` ahead; each pair is small (a few hundred objects), so
                // a table is copied once per many pairs, as each statement costs about a millisecond.
                var pending: [Prefetch<PairRows>] = []
                var next = 0
                func readAhead() {
                    while next < pairs.count, pending.count < max(1, options.readers) {
                        let pair = pairs[next]
                        pending.append(Prefetch { [self] in try readPair(head: pair.head, phot: pair.phot) })
                        next += 1
                    }
                }
                readAhead()
                var unwritten = PairRows()
                for index in pairs.indices {
                    let rows = try pending.removeFirst().value()
                    readAhead()
                    loadedObjects.formUnion(rows.objects.map(\.0.diaObjectId))
                    summary.objects += rows.objects.count
                    summary.sources += rows.sources.count
                    summary.forcedSources += rows.forced.count
                    unwritten.append(rows)
                    if unwritten.forced.count >= Self.rowsPerCopy || index == pairs.count - 1 {
                        try PPDBCopy.copy(
                            objects: unwritten.objects, sources: unwritten.sources, forced: unwritten.forced, into: tables, on: connection,
                            freeze: freeze, origin: "SNANA")
                        unwritten = PairRows()
                    }
                }
                let url = URL(fileURLWithPath: directory)
                let dump = url.appendingPathComponent(url.lastPathComponent + ".DUMP").path
                summary.truthRows += try loadTruth(dump: dump, objects: loadedObjects, freeze: freeze, on: connection)
                logger.info("Loaded SNANA directory", metadata: ["directory": "\(directory)", "objects": "\(loadedObjects.count)"])
            }
            try bulk?.finish(on: connection, logger: logger)
        }
        try connection.query("ANALYZE \(unescaped: tables.all.joined(separator: ", "))", statement: "analyze loaded tables")
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

        let fluxScale = options.fluxScale
        var objects: [(DiaObject, Bool)] = []
        var forced: [DiaForcedSource] = []
        var sources: [DiaSource] = []
        for row in 0..<head.rowCount {
            let objectId = snids[row]
            let rows = Int(first[row] - 1)...Int(last[row] - 1)
            guard rows.lowerBound >= 0, rows.upperBound < phot.rowCount else {
                throw Failure(description: "PTROBS range of SNID \(objectId) lies outside \(photPath)")
            }
            guard Int64(rows.count) <= options.maxSourcesPerObject else {
                throw Failure(
                    description:
                        "SNID \(objectId) in \(headPath) has \(rows.count) sources, more than --max-sources-per-object=\(options.maxSourcesPerObject)"
                )
            }
            let (firstId, overflow) = objectId.multipliedReportingOverflow(by: options.maxSourcesPerObject)
            guard !overflow else {
                throw Failure(description: "SNID \(objectId) × --max-sources-per-object=\(options.maxSourcesPerObject) overflows a bigint source id")
            }
            let object = DiaObject(
                diaObjectId: objectId, simVersion: options.simVersion, ra: ras[row], decl: decs[row],
                optionalFloats: floatColumns.map { $0.map { Float($0[row]) } })
            objects.append((object, rows.count > Self.ddfPhotometryRows))
            for (index, photRow) in rows.enumerated() {
                let id = firstId + Int64(index)
                let flux = Float(fluxes[photRow]) * fluxScale
                let error = Float(errors[photRow]) * fluxScale
                forced.append(
                    DiaForcedSource(
                        diaForcedSourceId: id, diaObjectId: objectId, midPointTai: mjds[photRow],
                        filterName: bands[photRow], psFlux: flux, psFluxErr: error))
                if flags[photRow] & options.photflagDetect != 0 {
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
    private func loadTruth(dump path: String, objects: Set<Int64>, freeze: Bool, on connection: PostgresConnection) throws -> Int {
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
        try connection.copyIn(options.tables.truthCopy, freeze: freeze, statement: "copy SNANA truth") { buffer in
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
