import AvroSchemas
import BlockingWork
import Foundation
import Postgres

/// The TOM's alert dumps: one `<mjd>.tar` per simulated night with one `<alertId>.avro` member
/// (schemaless Avro, full history) per alert whose source falls in the window.
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

    @discardableResult
    public func dump(start: Double, through: Double) async throws -> Result {
        let store = AlertStore(connection: try await PostgresConnection.open(conninfo, applicationName: "alert-sender dump"))
        let cursor = PendingAlertCursor(
            connection: try await PostgresConnection.open(conninfo, applicationName: "alert-sender dump cursor"),
            window: SendWindow(start: start, through: through), unsentOnly: false)
        let files = try await NightlyTarFiles.create(directory: directory, clobber: clobber)
        var unbuildable: [Int64] = []
        while true {
            let page = try await cursor.next(limit: 1000)
            guard !page.isEmpty else { break }
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
    private var counts: [Int: Int] = [:]

    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private init(directory: String, clobber: Bool) {
        self.directory = directory
        self.clobber = clobber
    }

    static func create(directory: String, clobber: Bool) async throws -> NightlyTarFiles {
        let files = NightlyTarFiles(directory: directory, clobber: clobber)
        try await files.makeDirectory()
        return files
    }

    private func makeDirectory() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func write(_ alerts: [(mjd: Int, name: String, bytes: [UInt8])]) throws {
        for alert in alerts {
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
