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
    /// The time of the last alert of this object that the same run sends.
    public var objectLastAlert: Double
}

/// The PPDB queries of a send: the window's edges, the histories of a batch's new objects
/// (three queries per batch, whatever its size), and marking alerts sent.
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
        try Self.retryingOnConnectionLoss(logger: logger, reconnect: reconnect, body)
    }

    static func retryingOnConnectionLoss<T>(logger: Logger, reconnect: () throws -> Void, _ body: () throws -> T) throws -> T {
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

    static let unsentInWindow = """
        a.alertsenttimestamp IS NULL AND s.midpointtai <= $1 AND ($2::double precision IS NULL OR s.midpointtai >= $2)
        """
    static let inWindow = """
        s.midpointtai <= $1 AND ($2::double precision IS NULL OR s.midpointtai >= $2)
        """

    /// Unsent alerts in the window: (WFD objects, DDF objects).
    public func countToSend(_ window: SendWindow) throws -> (wfd: Int, ddf: Int) {
        let result = try connection.query("""
            SELECT count(*) FILTER (WHERE NOT o.isddf), count(*) FILTER (WHERE o.isddf)
              FROM elasticc2_ppdbalert a
              JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
              JOIN elasticc2_ppdbdiaobject o ON o.diaobject_id = s.diaobject_id
             WHERE \(Self.unsentInWindow)
            """, [.double(window.through), window.start.map { .double($0) } ?? .null], statement: "count alerts to send")
        return (Int(try result.int64(0, 0) ?? 0), Int(try result.int64(0, 1) ?? 0))
    }

    /// An object whose history a batch must read: its row, its sources up to `through`
    /// (inclusive) and its forced sources in `[forcedFrom, through)`. Three queries for all of a
    /// batch's requests, the forced one on the second session alongside.
    public struct HistoryRequest: Sendable {
        public var objectId: Int64
        public var forcedFrom: Double
        public var through: Double
    }

    /// Objects' rows, sources and forced sources by object id.
    public struct ObjectRows: Sendable {
        public var objects: [Int64: (object: DiaObject, isDDF: Bool)] = [:]
        public var sources: [Int64: [DiaSource]] = [:]
        public var forcedSources: [Int64: [DiaForcedSource]] = [:]
    }

    public func histories(_ requests: [HistoryRequest]) throws -> ObjectRows {
        let ids = PostgresValue.bigintArray(requests.map(\.objectId))
        let forcedFrom = PostgresValue.text("{" + requests.map { PostgresText.double($0.forcedFrom) }.joined(separator: ",") + "}")
        let through = PostgresValue.text("{" + requests.map { PostgresText.double($0.through) }.joined(separator: ",") + "}")
        let forcedConnection = self.forcedConnection
        let forcedResult = LockedResult()
        // A group, not a work item: it may be waited for on every path, more than once.
        let forcedQuery = DispatchGroup()
        DispatchQueue.global().async(group: forcedQuery) {
            forcedResult.value = Result {
                try forcedConnection.query("""
                    SELECT f.diaforcedsource_id, f.diaobject_id, f.midpointtai, f.filtername, f.psflux, f.psfluxerr
                      FROM unnest($1::bigint[], $2::double precision[], $3::double precision[]) AS w(id, since, through)
                      JOIN elasticc2_ppdbdiaforcedsource f ON f.diaobject_id = w.id AND f.midpointtai >= w.since AND f.midpointtai < w.through
                     ORDER BY f.diaobject_id, f.midpointtai, f.diaforcedsource_id
                    """, [ids, forcedFrom, through], statement: "forced sources of a batch")
            }
        }
        defer { forcedQuery.wait() }
        var rows = ObjectRows()
        let floatCount = TOMSchema.diaObjectFloatColumns.count
        let objects = try connection.query(
            "SELECT diaobject_id, simversion, ra, decl, \(TOMSchema.diaObjectFloatColumns.joined(separator: ", ")), isddf FROM elasticc2_ppdbdiaobject WHERE diaobject_id = ANY($1)",
            [ids], statement: "objects of a batch")
        for row in 0..<objects.rowCount {
            let id = try objects.int64(row, 0)!
            var floats: [Float?] = []
            floats.reserveCapacity(floatCount)
            for column in 4..<(4 + floatCount) { floats.append(try objects.float(row, column)) }
            rows.objects[id] = (DiaObject(diaObjectId: id, simVersion: objects.string(row, 1), ra: try objects.double(row, 2)!,
                                               decl: try objects.double(row, 3)!, optionalFloats: floats),
                                     try objects.bool(row, 4 + floatCount)!)
        }
        let sources = try connection.query("""
            SELECT s.diasource_id, s.diaobject_id, s.midpointtai, s.filtername, s.ra, s.decl, s.psflux, s.psfluxerr, s.snr
              FROM unnest($1::bigint[], $2::double precision[]) AS w(id, through)
              JOIN elasticc2_ppdbdiasource s ON s.diaobject_id = w.id AND s.midpointtai <= w.through
             ORDER BY s.diaobject_id, s.midpointtai, s.diasource_id
            """, [ids, through], statement: "sources of a batch")
        for row in 0..<sources.rowCount {
            let objectId = try sources.int64(row, 1)!
            rows.sources[objectId, default: []].append(DiaSource(
                diaSourceId: try sources.int64(row, 0)!, diaObjectId: objectId, midPointTai: try sources.double(row, 2)!,
                filterName: sources.string(row, 3)!, ra: try sources.double(row, 4)!, decl: try sources.double(row, 5)!,
                psFlux: try sources.float(row, 6)!, psFluxErr: try sources.float(row, 7)!, snr: try sources.float(row, 8)!))
        }
        forcedQuery.wait()
        let forced = try forcedResult.value!.get()
        for row in 0..<forced.rowCount {
            let objectId = try forced.int64(row, 1)!
            rows.forcedSources[objectId, default: []].append(DiaForcedSource(
                diaForcedSourceId: try forced.int64(row, 0)!, diaObjectId: objectId, midPointTai: try forced.double(row, 2)!,
                filterName: forced.string(row, 3)!, psFlux: try forced.float(row, 4)!, psFluxErr: try forced.float(row, 5)!))
        }
        return rows
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
