import AvroSchemas
import Dispatch
import Foundation
import Postgres
import PPDB

/// An alert waiting to be sent, with its triggering source.
public struct PendingAlert: Sendable {
    public var alertId: Int64
    public var source: DiaSource
    public var isDDF: Bool
}

/// The PPDB queries of a send: the window's edges, pages of unsent alerts, the histories of a
/// batch's objects (three queries per batch, whatever its size), and marking alerts sent.
public final class AlertStore: Sendable {
    private let connection: PostgresConnection
    /// A second session for forced sources, read while the first reads objects and sources.
    private let forcedConnection: PostgresConnection

    public init(connection: PostgresConnection, forcedConnection: PostgresConnection? = nil) {
        self.connection = connection
        self.forcedConnection = forcedConnection ?? connection
    }

    /// The greatest source time among sent alerts and the smallest among all alerts.
    public func windowEdges() throws -> (latestSent: Double?, firstAlert: Double?) {
        let result = try connection.query("""
            SELECT (SELECT max(s.midpointtai) FROM elasticc2_ppdbalert a JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
                     WHERE a.alertsenttimestamp IS NOT NULL),
                   (SELECT min(s.midpointtai) FROM elasticc2_ppdbalert a JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id)
            """, statement: "alert window edges")
        return (try result.double(0, 0), try result.double(0, 1))
    }

    private static let windowCondition = """
        a.alertsenttimestamp IS NULL AND s.midpointtai <= $1 AND ($2::double precision IS NULL OR s.midpointtai >= $2)
        """
    private static let anyAlertCondition = """
        s.midpointtai <= $1 AND ($2::double precision IS NULL OR s.midpointtai >= $2)
        """

    /// Unsent alerts in the window: (WFD objects, DDF objects).
    public func countToSend(_ window: SendWindow) throws -> (wfd: Int, ddf: Int) {
        let result = try connection.query("""
            SELECT count(*) FILTER (WHERE NOT o.isddf), count(*) FILTER (WHERE o.isddf)
              FROM elasticc2_ppdbalert a
              JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
              JOIN elasticc2_ppdbdiaobject o ON o.diaobject_id = s.diaobject_id
             WHERE \(Self.windowCondition)
            """, [.double(window.through), window.start.map { .double($0) } ?? .null], statement: "count alerts to send")
        return (Int(try result.int64(0, 0) ?? 0), Int(try result.int64(0, 1) ?? 0))
    }

    /// The next `limit` alerts in time order after `after` (time, alert id): unsent ones only, or all.
    public func nextPage(_ window: SendWindow, after: (time: Double, alertId: Int64)?, limit: Int, unsentOnly: Bool = true) throws -> [PendingAlert] {
        let result = try connection.query("""
            SELECT a.alert_id, s.diasource_id, s.diaobject_id, s.midpointtai, s.filtername, s.ra, s.decl,
                   s.psflux, s.psfluxerr, s.snr, o.isddf
              FROM elasticc2_ppdbalert a
              JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
              JOIN elasticc2_ppdbdiaobject o ON o.diaobject_id = s.diaobject_id
             WHERE \(unsentOnly ? Self.windowCondition : Self.anyAlertCondition)
               AND s.midpointtai >= $3 AND (s.midpointtai, a.alert_id) > ($3, $4)
             ORDER BY s.midpointtai, a.alert_id
             LIMIT $5
            """, [.double(window.through), window.start.map { .double($0) } ?? .null,
                  .double(after?.time ?? -.infinity), .bigint(after?.alertId ?? .min), .bigint(Int64(limit))],
            statement: "page of unsent alerts")
        return try (0..<result.rowCount).map { row in
            PendingAlert(
                alertId: try result.int64(row, 0)!,
                source: DiaSource(
                    diaSourceId: try result.int64(row, 1)!, diaObjectId: try result.int64(row, 2),
                    midPointTai: try result.double(row, 3)!, filterName: result.string(row, 4)!,
                    ra: try result.double(row, 5)!, decl: try result.double(row, 6)!, psFlux: try result.float(row, 7)!,
                    psFluxErr: try result.float(row, 8)!, snr: try result.float(row, 9)!),
                isDDF: try result.bool(row, 10)!)
        }
    }

    /// Everything the batch's alerts need from their objects: the object rows, their sources up
    /// to `through`, and their forced sources in `[from − 365 days, through)`.
    public func histories(objectIds: [Int64], from earliestAlert: Double, through latestAlert: Double) throws -> [Int64: ObjectHistory] {
        let ids = PostgresValue.bigintArray(objectIds)
        let forcedConnection = self.forcedConnection
        let forcedResult = LockedResult()
        // A group, not a work item: it may be waited for on every path, more than once.
        let forcedQuery = DispatchGroup()
        DispatchQueue.global().async(group: forcedQuery) {
            forcedResult.value = Result {
                try forcedConnection.query("""
                    SELECT diaforcedsource_id, diaobject_id, midpointtai, filtername, psflux, psfluxerr
                      FROM elasticc2_ppdbdiaforcedsource WHERE diaobject_id = ANY($1) AND midpointtai >= $2 AND midpointtai < $3
                     ORDER BY diaobject_id, midpointtai, diaforcedsource_id
                    """, [ids, .double(earliestAlert - AlertTopics.fullHistoryDays), .double(latestAlert)], statement: "forced sources of a batch")
            }
        }
        defer { forcedQuery.wait() }
        let objects = try connection.query(
            "SELECT diaobject_id, simversion, ra, decl, \(TOMSchema.diaObjectFloatColumns.joined(separator: ", ")), isddf FROM elasticc2_ppdbdiaobject WHERE diaobject_id = ANY($1)",
            [ids], statement: "objects of a batch")
        let sources = try connection.query("""
            SELECT diasource_id, diaobject_id, midpointtai, filtername, ra, decl, psflux, psfluxerr, snr
              FROM elasticc2_ppdbdiasource WHERE diaobject_id = ANY($1) AND midpointtai <= $2
             ORDER BY diaobject_id, midpointtai, diasource_id
            """, [ids, .double(latestAlert)], statement: "sources of a batch")

        var histories: [Int64: ObjectHistory] = [:]
        histories.reserveCapacity(objects.rowCount)
        let floatCount = TOMSchema.diaObjectFloatColumns.count
        for row in 0..<objects.rowCount {
            let id = try objects.int64(row, 0)!
            var floats: [Float?] = []
            floats.reserveCapacity(floatCount)
            for column in 4..<(4 + floatCount) { floats.append(try objects.float(row, column)) }
            histories[id] = ObjectHistory(
                object: DiaObject(diaObjectId: id, simVersion: objects.string(row, 1), ra: try objects.double(row, 2)!,
                                  decl: try objects.double(row, 3)!, optionalFloats: floats),
                isDDF: try objects.bool(row, 4 + floatCount)!, sources: [], forcedSources: [], firstSourceTime: .infinity)
        }
        for row in 0..<sources.rowCount {
            let objectId = try sources.int64(row, 1)!
            let source = DiaSource(
                diaSourceId: try sources.int64(row, 0)!, diaObjectId: objectId, midPointTai: try sources.double(row, 2)!,
                filterName: sources.string(row, 3)!, ra: try sources.double(row, 4)!, decl: try sources.double(row, 5)!,
                psFlux: try sources.float(row, 6)!, psFluxErr: try sources.float(row, 7)!, snr: try sources.float(row, 8)!)
            histories[objectId]?.sources.append(source)
        }
        // Sources come in time order, so each object's first is its earliest.
        for (id, history) in histories {
            histories[id]?.firstSourceTime = history.sources.first?.midPointTai ?? .infinity
        }
        forcedQuery.wait()
        let forced = try forcedResult.value!.get()
        for row in 0..<forced.rowCount {
            let objectId = try forced.int64(row, 1)!
            histories[objectId]?.forcedSources.append(DiaForcedSource(
                diaForcedSourceId: try forced.int64(row, 0)!, diaObjectId: objectId, midPointTai: try forced.double(row, 2)!,
                filterName: forced.string(row, 3)!, psFlux: try forced.float(row, 4)!, psFluxErr: try forced.float(row, 5)!))
        }
        return histories
    }

    /// Records that these alerts were delivered.
    public func markSent(_ alertIds: [Int64]) throws {
        guard !alertIds.isEmpty else { return }
        try connection.query("UPDATE elasticc2_ppdbalert SET alertsenttimestamp = now() WHERE alert_id = ANY($1)",
                             [.bigintArray(alertIds)], statement: "mark alerts sent")
    }
}

/// Carries the forced-source query's result from its worker back to the reading thread, which
/// reads it only after waiting for the worker.
private final class LockedResult: @unchecked Sendable {
    var value: Result<PostgresResult, Error>?
}
