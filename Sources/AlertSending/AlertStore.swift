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
        return (try result.optional(0, 0, as: Double.self), try result.optional(0, 1, as: Double.self))
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
        return (try result.value(0, 0, as: Int.self), try result.value(0, 1, as: Int.self))
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
        let floatCount = TOMSchema.diaObjectFloatColumns.count
        let objects = try connection.query(
            """
            SELECT diaobject_id, simversion, ra, decl, \(unescaped: TOMSchema.diaObjectFloatColumns.joined(separator: ", ")), isddf
              FROM elasticc2_ppdbdiaobject WHERE diaobject_id = ANY(\(ids))
            """, statement: "objects of a batch", results: .binary)
        for row in 0..<objects.rowCount {
            let id = try objects.value(row, 0, as: Int64.self)
            var floats: [Float?] = []
            floats.reserveCapacity(floatCount)
            for column in 4..<(4 + floatCount) { floats.append(try objects.optional(row, column, as: Float.self)) }
            rows.objects[id] = (
                DiaObject(
                    diaObjectId: id, simVersion: try objects.optional(row, 1), ra: try objects.value(row, 2),
                    decl: try objects.value(row, 3), optionalFloats: floats),
                try objects.value(row, 4 + floatCount, as: Bool.self)
            )
        }
        let sources = try connection.query(
            """
            SELECT s.diasource_id, w.id, s.midpointtai, s.filtername, s.ra, s.decl, s.psflux, s.psfluxerr, s.snr
              FROM unnest(\(ids)::bigint[], \(through)::double precision[]) AS w(id, through)
             CROSS JOIN LATERAL (
                   SELECT diasource_id, midpointtai, filtername, ra, decl, psflux, psfluxerr, snr FROM elasticc2_ppdbdiasource
                    WHERE diaobject_id = w.id AND midpointtai <= w.through ORDER BY midpointtai, diasource_id) s
            """, statement: "sources of a batch", results: .binary)
        rows.sources = try Self.groupedByObject(
            sources.rowCount, object: { try sources.value($0, 1, as: Int64.self) },
            row: { row, objectId in
                DiaSource(
                    diaSourceId: try sources.value(row, 0), diaObjectId: objectId, midPointTai: try sources.value(row, 2),
                    filterName: try sources.value(row, 3), ra: try sources.value(row, 4), decl: try sources.value(row, 5),
                    psFlux: try sources.value(row, 6), psFluxErr: try sources.value(row, 7), snr: try sources.value(row, 8))
            })
        Self.keepTimeOrder(&rows.sources) { ($0.midPointTai, $0.diaSourceId) }
        return rows
    }

    /// Each object's rows come from its own index read (no sort of the whole batch, which
    /// spilled to disk at 300,000 forced sources). Sources come sorted; forced sources come in
    /// the index's (heap) order, which is time order when the PPDB was loaded object by object
    /// in time, and an object whose rows are not is sorted here: cheaper than the server's sort
    /// per object, which was a third of the forced-source query.
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
            SELECT f.diaforcedsource_id, w.id, f.midpointtai, f.filtername, f.psflux, f.psfluxerr
              FROM unnest(\(ids)::bigint[], \(forcedFrom)::double precision[], \(through)::double precision[]) AS w(id, since, through)
             -- No alert carries forced sources from before its object's first source - 30 days:
             -- real objects have months of photometry before that, read for nothing.
             CROSS JOIN LATERAL (SELECT min(midpointtai) - \(ObjectHistory.forcedDaysBeforeFirstSource) AS earliest
                                   FROM elasticc2_ppdbdiasource WHERE diaobject_id = w.id) first
             CROSS JOIN LATERAL (
                   SELECT diaforcedsource_id, midpointtai, filtername, psflux, psfluxerr FROM elasticc2_ppdbdiaforcedsource
                    WHERE diaobject_id = w.id AND midpointtai >= greatest(w.since, first.earliest) AND midpointtai < w.through) f
            """, statement: "forced sources of a batch", results: .binary)
        var rows = try groupedByObject(
            forced.rowCount, object: { try forced.value($0, 1, as: Int64.self) },
            row: { row, objectId in
                DiaForcedSource(
                    diaForcedSourceId: try forced.value(row, 0), diaObjectId: objectId, midPointTai: try forced.value(row, 2),
                    filterName: try forced.value(row, 3), psFlux: try forced.value(row, 4), psFluxErr: try forced.value(row, 5))
            })
        keepTimeOrder(&rows) { ($0.midPointTai, $0.diaForcedSourceId) }
        return rows
    }

    /// Rows grouped by object. They come object by object (each object's lateral read in
    /// turn), so each run of one object's rows is built as one array and stored with one
    /// dictionary access, not one a row (hashing and appending per row was a twentieth of
    /// reading a batch).
    static func groupedByObject<Row>(
        _ count: Int, object: (Int) throws -> Int64, row: (Int, Int64) throws -> Row
    ) rethrows -> [Int64: [Row]] {
        var groups: [Int64: [Row]] = [:]
        var start = 0
        while start < count {
            let objectId = try object(start)
            var end = start + 1
            while end < count, try object(end) == objectId { end += 1 }
            var run: [Row] = []
            run.reserveCapacity(end - start)
            for index in start..<end { run.append(try row(index, objectId)) }
            if groups[objectId] == nil { groups[objectId] = run } else { groups[objectId]!.append(contentsOf: run) }
            start = end
        }
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
