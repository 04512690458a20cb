import AvroSchemas
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

    /// Returns the number of alerts written per MJD.
    @discardableResult
    public func dump(start: Double, through: Double) throws -> [Int: Int] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = AlertStore(connection: try PostgresConnection(conninfo, applicationName: "alert-sender dump"))
        let cursor = PendingAlertCursor(connection: try PostgresConnection(conninfo, applicationName: "alert-sender dump cursor"),
                                        window: SendWindow(start: start, through: through), unsentOnly: false)
        var counts: [Int: Int] = [:]
        var current: (mjd: Int, writer: TarWriter)?
        let cache = HistoryCache()
        while true {
            let page = try cursor.next(limit: 1000)
            guard !page.isEmpty else { break }
            let histories = try cache.histories(for: page, store: store)
            for pending in page {
                guard let objectId = pending.source.diaObjectId, let history = histories[objectId] else { continue }
                let mjd = Int(pending.source.midPointTai.rounded(.down))
                if current?.mjd != mjd {
                    try current?.writer.close()
                    let path = (directory as NSString).appendingPathComponent("\(mjd).tar")
                    if FileManager.default.fileExists(atPath: path) {
                        guard clobber else { throw AlertSendError(description: "\(path) exists; use --clobber to replace it") }
                        try FileManager.default.removeItem(atPath: path)
                    }
                    current = (mjd, try TarWriter(creating: path))
                }
                let alert = history.alert(alertId: pending.alertId, source: pending.source, historyDays: AlertTopics.fullHistoryDays)
                try current!.writer.add(name: "\(pending.alertId).avro", contents: AvroCodec.encode(alert))
                counts[mjd, default: 0] += 1
            }
        }
        try current?.writer.close()
        return counts
    }
}
