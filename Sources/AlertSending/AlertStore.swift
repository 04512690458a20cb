import AvroSchemas
import Foundation
import Logging
import Postgres
import TOMDatabase

/// An alert waiting to be sent, with its triggering source.
public struct PendingAlert: Sendable {
    public var alertId: Int64
    public var source: DiaSource
    /// The time of the last alert of this object that the same run sends.
    public var objectLastAlert: Double
}

/// The PPDB queries of a send, on one connection's thread: the window's edges, the histories
/// of a batch's objects (three queries per batch, whatever its size, the forced sources on a
/// second session alongside), and marking alerts sent. An actor on its connection's executor,
/// so its state (the history cache) belongs to that connection and its blocking calls never run
/// on the cooperative pool.
actor AlertStore {
    private let connection: PostgresConnection
    /// A second session for forced sources, read while the first reads objects and sources.
    private let forcedConnection: PostgresConnection
    private var cache = HistoryCache()

    nonisolated var unownedExecutor: UnownedSerialExecutor { connection.executor.asUnownedSerialExecutor() }

    init(connection: PostgresConnection, forcedConnection: PostgresConnection? = nil) {
        self.connection = connection
        self.forcedConnection = forcedConnection ?? connection
    }

    /// Opens the sessions again after the server was restarted or the connection lost.
    func reconnect() throws {
        try connection.reconnect()
        if forcedConnection !== connection { try forcedConnection.reconnect() }
    }

    /// The greatest source time among sent alerts and the smallest among all alerts.
    func windowEdges() throws -> (latestSent: Double?, firstAlert: Double?) {
        let result = try connection.query(
            """
            SELECT (SELECT max(s.midpointtai) FROM elasticc2_ppdbalert a JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
                     WHERE a.alertsenttimestamp IS NOT NULL),
                   -- The earliest source with an alert, walking the TOM's midpointtai index: 0.2 ms
                   -- where min() over the whole join took 55 ms at 10^5 alerts, before anything else.
                   (SELECT s.midpointtai FROM elasticc2_ppdbdiasource s
                     WHERE EXISTS (SELECT 1 FROM elasticc2_ppdbalert a WHERE a.diasource_id = s.diasource_id)
                     ORDER BY s.midpointtai LIMIT 1)
            """, statement: "alert window edges")
        return try result.single((Double?, Double?).self)
    }

    /// Unsent alerts in the window: (WFD objects, DDF objects).
    func countToSend(_ window: SendWindow) throws -> (wfd: Int, ddf: Int) {
        let result = try connection.query(
            """
            SELECT count(*) FILTER (WHERE NOT o.isddf), count(*) FILTER (WHERE o.isddf)
              FROM elasticc2_ppdbalert a
              JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
              JOIN elasticc2_ppdbdiaobject o ON o.diaobject_id = s.diaobject_id
             WHERE a.alertsenttimestamp IS NULL AND s.midpointtai <= \(window.through)
               AND (\(window.start)::double precision IS NULL OR s.midpointtai >= \(window.start))
            """, statement: "count alerts to send")
        return try result.single((Int, Int).self)
    }

    /// The histories of a time-ordered page of alerts' objects, each object read once per run.
    func histories(for page: [PendingAlert]) async throws -> [Int64: EncodedHistory] {
        let requests = cache.missing(for: page)
        if !requests.isEmpty {
            cache.add(try await rows(requests), for: requests)
        }
        return cache.take(for: page)
    }

    /// An object whose history a batch must read: its row, its sources up to `through`
    /// (inclusive) and its forced sources in `[forcedFrom, through)`.
    struct HistoryRequest: Sendable {
        var objectId: Int64
        var forcedFrom: Double
        var through: Double
    }

    /// Objects' rows, sources and forced sources by object id.
    struct ObjectRows: Sendable {
        var objects: [Int64: (object: DiaObject, isDDF: Bool)] = [:]
        var sources: [Int64: [DiaSource]] = [:]
        var forcedSources: [Int64: [DiaForcedSource]] = [:]
    }

    func rows(_ requests: [HistoryRequest]) async throws -> ObjectRows {
        let ids = requests.map(\.objectId)
        let forcedFrom = requests.map(\.forcedFrom)
        let through = requests.map(\.through)
        // On the second session's thread while this one reads objects and sources.
        async let forced = forcedConnection.run { connection in
            try Self.forcedSources(on: connection, ids: ids, forcedFrom: forcedFrom, through: through)
        }
        var rows = try objectsAndSources(ids: ids, through: through)
        rows.forcedSources = try await forced
        return rows
    }

    /// The blocking part, on this actor's (the connection's) thread.
    private func objectsAndSources(ids: [Int64], through: [Double]) throws -> ObjectRows {
        var rows = ObjectRows()
        let objects = try connection.query(
            "SELECT \(unescaped: PPDBRows.objectColumns) FROM elasticc2_ppdbdiaobject WHERE diaobject_id = ANY(\(ids))",
            statement: "objects of a batch", results: .binary)
        for row in objects.rows {
            let (object, isDDF) = try PPDBRows.object(row)
            rows.objects[object.diaObjectId] = (object, isDDF)
        }
        let sources = try connection.query(
            """
            SELECT \(unescaped: PPDBRows.sourceColumns(of: "s"))
              FROM unnest(\(ids)::bigint[], \(through)::double precision[]) AS w(id, through)
             CROSS JOIN LATERAL (
                   SELECT \(unescaped: PPDBRows.sourceColumns(of: "elasticc2_ppdbdiasource")) FROM elasticc2_ppdbdiasource
                    WHERE diaobject_id = w.id AND midpointtai <= w.through ORDER BY midpointtai, diasource_id) s
            """, statement: "sources of a batch", results: .binary)
        rows.sources = try Self.groupedByObject(sources) { row in
            let source = try PPDBRows.source(row)
            return (source.diaObjectId ?? 0, source)
        }
        Self.keepTimeOrder(&rows.sources) { ($0.midPointTai, $0.diaSourceId) }
        return rows
    }

    /// Each object's rows come from its own index read (no sort of the whole batch, which
    /// spills to disk on a large batch). Sources come sorted; forced sources come in the index's
    /// (heap) order, which is time order when the PPDB was loaded object by object in time, and
    /// an object whose rows are not is sorted here: cheaper than a sort per object on the
    /// server.
    static func keepTimeOrder<Row>(_ rows: inout [Int64: [Row]], by key: (Row) -> (Double, Int64)) {
        for (object, list) in rows where !zip(list, list.dropFirst()).allSatisfy({ key($0) <= key($1) }) {
            rows[object] = list.sorted { key($0) < key($1) }
        }
    }

    private static func forcedSources(
        on connection: PostgresConnection, ids: [Int64], forcedFrom: [Double], through: [Double]
    ) throws -> [Int64: [DiaForcedSource]] {
        let forced = try connection.query(
            """
            SELECT \(unescaped: PPDBRows.forcedSourceColumns(of: "f"))
              FROM unnest(\(ids)::bigint[], \(forcedFrom)::double precision[], \(through)::double precision[]) AS w(id, since, through)
             -- No alert carries forced sources from before its object's first source - 30 days:
             -- real objects have months of photometry before that, read for nothing.
             CROSS JOIN LATERAL (SELECT min(midpointtai) - \(ObjectHistory.forcedDaysBeforeFirstSource) AS earliest
                                   FROM elasticc2_ppdbdiasource WHERE diaobject_id = w.id) first
             CROSS JOIN LATERAL (
                   SELECT \(unescaped: PPDBRows.forcedSourceColumns(of: "elasticc2_ppdbdiaforcedsource")) FROM elasticc2_ppdbdiaforcedsource
                    WHERE diaobject_id = w.id AND midpointtai >= greatest(w.since, first.earliest) AND midpointtai < w.through) f
            """, statement: "forced sources of a batch", results: .binary)
        var rows = try groupedByObject(forced) { row in
            let forcedSource = try PPDBRows.forcedSource(row)
            return (forcedSource.diaObjectId, forcedSource)
        }
        keepTimeOrder(&rows) { ($0.midPointTai, $0.diaForcedSourceId) }
        return rows
    }

    /// Rows grouped by object. They come object by object (each object's lateral read in
    /// turn), so each run of one object's rows is built as one array and stored with one
    /// dictionary access, not one a row.
    static func groupedByObject<Row>(_ result: PostgresResult, _ decode: (PostgresRow) throws -> (objectId: Int64, row: Row)) rethrows -> [Int64:
        [Row]]
    {
        var groups: [Int64: [Row]] = [:]
        var runObject: Int64?
        var run: [Row] = []
        func closeRun() {
            guard let objectId = runObject else { return }
            if groups[objectId] == nil { groups[objectId] = run } else { groups[objectId]!.append(contentsOf: run) }
        }
        for row in result.rows {
            let (objectId, decoded) = try decode(row)
            if objectId != runObject {
                closeRun()
                runObject = objectId
                run = []
            }
            run.append(decoded)
        }
        closeRun()
        return groups
    }

    /// Records that these alerts were delivered, each with its own time as the TOM stamps them
    /// (its graphs count one alert per distinct `alertsenttimestamp`): `clock_timestamp()` is
    /// read for every row, where `now()` would give the whole batch one.
    func markSent(_ alertIds: [Int64]) throws {
        guard !alertIds.isEmpty else { return }
        try connection.query(
            "UPDATE elasticc2_ppdbalert SET alertsenttimestamp = clock_timestamp() WHERE alert_id = ANY(\(alertIds))",
            statement: "mark alerts sent")
    }
}
