import AvroSchemas
import Dispatch
import Foundation
import Logging
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

    /// Opens the sessions again after the server was restarted or the connection lost.
    public func reconnect() throws {
        try connection.reconnect()
        if forcedConnection !== connection { try forcedConnection.reconnect() }
    }

    /// Runs `body`; when the connection was lost, reconnects (waiting 1, 2, 4, … s, up to a
    /// minute in all) and runs it again. Every statement of the sender may simply be repeated.
    public func retryingOnConnectionLoss<T>(logger: Logger, _ body: () throws -> T) throws -> T {
        var delay = 1.0
        var waited = 0.0
        while true {
            do {
                return try body()
            } catch let error as PostgresError where error.isConnectionLoss && waited < 60 {
                logger.warning("Lost the database connection; reconnecting", metadata: ["error": "\(error)", "retry.in": "\(delay)s"])
                Thread.sleep(forTimeInterval: delay)
                waited += delay
                delay = min(delay * 2, 16)
                try? reconnect()
            }
        }
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

    /// What a batch must add to the cached histories: object rows for objects not cached, and
    /// for every object its sources in `(sourcesAfter, through]` and forced sources in
    /// `[forcedFrom, through)`. Three queries, the forced one on the second session alongside.
    public struct HistoryRequest: Sendable {
        public var objectId: Int64
        public var isCached: Bool
        public var sourcesAfter: Double
        public var forcedFrom: Double
    }

    public struct HistoryIncrement: Sendable {
        public var objects: [Int64: (object: DiaObject, isDDF: Bool)] = [:]
        public var sources: [Int64: [DiaSource]] = [:]
        public var forcedSources: [Int64: [DiaForcedSource]] = [:]
    }

    public func historyIncrements(_ requests: [HistoryRequest], through latestAlert: Double) throws -> HistoryIncrement {
        let ids = PostgresValue.bigintArray(requests.map(\.objectId))
        let forcedFrom = PostgresValue.text("{" + requests.map { PostgresText.double($0.forcedFrom) }.joined(separator: ",") + "}")
        let sourcesAfter = PostgresValue.text("{" + requests.map { PostgresText.double($0.sourcesAfter) }.joined(separator: ",") + "}")
        let newObjects = PostgresValue.bigintArray(requests.filter { !$0.isCached }.map(\.objectId))
        let forcedConnection = self.forcedConnection
        let forcedResult = LockedResult()
        // A group, not a work item: it may be waited for on every path, more than once.
        let forcedQuery = DispatchGroup()
        DispatchQueue.global().async(group: forcedQuery) {
            forcedResult.value = Result {
                try forcedConnection.query("""
                    SELECT f.diaforcedsource_id, f.diaobject_id, f.midpointtai, f.filtername, f.psflux, f.psfluxerr
                      FROM unnest($1::bigint[], $2::double precision[]) AS w(id, since)
                      JOIN elasticc2_ppdbdiaforcedsource f ON f.diaobject_id = w.id AND f.midpointtai >= w.since AND f.midpointtai < $3
                     ORDER BY f.diaobject_id, f.midpointtai, f.diaforcedsource_id
                    """, [ids, forcedFrom, .double(latestAlert)], statement: "forced sources of a batch")
            }
        }
        defer { forcedQuery.wait() }
        var increment = HistoryIncrement()
        let floatCount = TOMSchema.diaObjectFloatColumns.count
        let objects = try connection.query(
            "SELECT diaobject_id, simversion, ra, decl, \(TOMSchema.diaObjectFloatColumns.joined(separator: ", ")), isddf FROM elasticc2_ppdbdiaobject WHERE diaobject_id = ANY($1)",
            [newObjects], statement: "objects of a batch")
        for row in 0..<objects.rowCount {
            let id = try objects.int64(row, 0)!
            var floats: [Float?] = []
            floats.reserveCapacity(floatCount)
            for column in 4..<(4 + floatCount) { floats.append(try objects.float(row, column)) }
            increment.objects[id] = (DiaObject(diaObjectId: id, simVersion: objects.string(row, 1), ra: try objects.double(row, 2)!,
                                               decl: try objects.double(row, 3)!, optionalFloats: floats),
                                     try objects.bool(row, 4 + floatCount)!)
        }
        let sources = try connection.query("""
            SELECT s.diasource_id, s.diaobject_id, s.midpointtai, s.filtername, s.ra, s.decl, s.psflux, s.psfluxerr, s.snr
              FROM unnest($1::bigint[], $2::double precision[]) AS w(id, after)
              JOIN elasticc2_ppdbdiasource s ON s.diaobject_id = w.id AND s.midpointtai > w.after AND s.midpointtai <= $3
             ORDER BY s.diaobject_id, s.midpointtai, s.diasource_id
            """, [ids, sourcesAfter, .double(latestAlert)], statement: "sources of a batch")
        for row in 0..<sources.rowCount {
            let objectId = try sources.int64(row, 1)!
            increment.sources[objectId, default: []].append(DiaSource(
                diaSourceId: try sources.int64(row, 0)!, diaObjectId: objectId, midPointTai: try sources.double(row, 2)!,
                filterName: sources.string(row, 3)!, ra: try sources.double(row, 4)!, decl: try sources.double(row, 5)!,
                psFlux: try sources.float(row, 6)!, psFluxErr: try sources.float(row, 7)!, snr: try sources.float(row, 8)!))
        }
        forcedQuery.wait()
        let forced = try forcedResult.value!.get()
        for row in 0..<forced.rowCount {
            let objectId = try forced.int64(row, 1)!
            increment.forcedSources[objectId, default: []].append(DiaForcedSource(
                diaForcedSourceId: try forced.int64(row, 0)!, diaObjectId: objectId, midPointTai: try forced.double(row, 2)!,
                filterName: forced.string(row, 3)!, psFlux: try forced.float(row, 4)!, psFluxErr: try forced.float(row, 5)!))
        }
        return increment
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
