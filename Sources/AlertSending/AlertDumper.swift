import AvroSchemas
import BlockingWork
import Foundation
import Postgres

/// The TOM's alert dumps (`dump_elasticc2_alert_tars`): one `<mjd>.tar` per simulated night with
/// one `<alertId>.avro` member (schemaless Avro, full history) per alert whose source falls in the
/// night, every night from the first through the last, whole.
public struct AlertDumper {
    let conninfo: String
    let directory: String
    let clobber: Bool

    public init(conninfo: String, directory: String, clobber: Bool) {
        self.conninfo = conninfo
        self.directory = directory
        self.clobber = clobber
    }

    public struct Result: Sendable {
        /// Alerts written per MJD.
        public var alertsPerNight: [Int: Int]
        /// Alerts in the window no alert could be built for (no object, no history): written nowhere.
        public var unbuildableAlertIds: [Int64]
    }

    /// The nights `floor(start)` through `floor(through)`, each `[mjd, mjd + 1)` whole, as the TOM
    /// reads its `--start-day` and `-d`; `gentype`: only objects of that true type; `write`
    /// false: count what would be written (the TOM's dry run without `--do`).
    @discardableResult
    public func dump(start: Double, through: Double, gentype: Int? = nil, write: Bool = true) async throws -> Result {
        let store = AlertStore(connection: try await PostgresConnection.open(conninfo, applicationName: "alert-sender dump"))
        let lastNight = through.rounded(.down)
        let cursor = PendingAlertCursor(
            connection: try await PostgresConnection.open(conninfo, applicationName: "alert-sender dump cursor"),
            window: SendWindow(start: start.rounded(.down), through: (lastNight + 1).nextDown), unsentOnly: false)
        var truth: PostgresConnection?
        if gentype != nil { truth = try await PostgresConnection.open(conninfo, applicationName: "alert-sender dump truth") }
        let files = try await NightlyTarFiles.create(directory: directory, clobber: clobber, write: write)
        var unbuildable: [Int64] = []
        while true {
            var page = try await cursor.next(limit: 1000)
            guard !page.isEmpty else { break }
            if let gentype, let truth {
                let objects: [Int64] = Array(Set(page.compactMap { $0.source.diaObjectId }))
                let kept = try await truth.query(
                    "SELECT diaobject_id FROM elasticc2_diaobjecttruth WHERE gentype = \(Int32(clamping: gentype)) AND diaobject_id = ANY(\(objects))",
                    statement: "objects of the gentype")
                let keptIds: [Int64] = try kept.rows.map { row in try row.decode(Int64.self) }
                let wanted = Set(keptIds)
                page = page.filter { pending in pending.source.diaObjectId.map { wanted.contains($0) } ?? false }
                if page.isEmpty { continue }
            }
            let histories = try await store.histories(for: page)
            var alerts: [(mjd: Int, name: String, bytes: [UInt8])] = []
            for pending in page {
                guard let objectId = pending.source.diaObjectId, let history = histories[objectId] else {
                    unbuildable.append(pending.alertId)
                    continue
                }
                let alert = history.alert(alertId: pending.alertId, source: pending.source, historyDays: AlertTopics.fullHistoryDays)
                alerts.append((Int(pending.source.midPointTai.rounded(.down)), "\(pending.alertId).avro", alert))
            }
            try await files.write(alerts)
        }
        return Result(alertsPerNight: try await files.close(), unbuildableAlertIds: unbuildable)
    }
}

/// The dump's files, written on a thread of their own: one tar per night, in time order.
actor NightlyTarFiles {
    private let executor = BlockingExecutor(label: "alert-sender dump files")
    private let directory: String
    private let clobber: Bool
    private var current: (mjd: Int, writer: TarWriter)?
    /// False: a dry run, counting only.
    private let writes: Bool
    private var counts: [Int: Int] = [:]

    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private init(directory: String, clobber: Bool, write: Bool) {
        self.directory = directory
        self.clobber = clobber
        self.writes = write
    }

    static func create(directory: String, clobber: Bool, write: Bool = true) async throws -> NightlyTarFiles {
        let files = NightlyTarFiles(directory: directory, clobber: clobber, write: write)
        if write { try await files.makeDirectory() }
        return files
    }

    private func makeDirectory() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func write(_ alerts: [(mjd: Int, name: String, bytes: [UInt8])]) throws {
        for alert in alerts {
            guard writes else {
                counts[alert.mjd, default: 0] += 1
                continue
            }
            if current?.mjd != alert.mjd {
                try current?.writer.close()
                let path = (directory as NSString).appendingPathComponent("\(alert.mjd).tar")
                if FileManager.default.fileExists(atPath: path) {
                    guard clobber else { throw AlertSendError(description: "\(path) exists; use --clobber to replace it") }
                    try FileManager.default.removeItem(atPath: path)
                }
                current = (alert.mjd, try TarWriter(creating: path))
            }
            try current?.writer.add(name: alert.name, contents: alert.bytes)
            counts[alert.mjd, default: 0] += 1
        }
    }

    /// Closes the last file; returns the alerts written per MJD.
    func close() throws -> [Int: Int] {
        try current?.writer.close()
        current = nil
        return counts
    }
}
