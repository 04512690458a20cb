import AvroSchemas
import Postgres

/// The alerts of a window in time order, through one server-side cursor: the window is joined
/// and sorted once for the whole run, where a query per page would cost three index probes an
/// alert. Each row also carries the time of its object's last alert
/// in the run, so that object's history can be read once, through that time.
///
/// The cursor lives in a transaction of its own connection. If the connection is lost, the
/// next call opens a new cursor after the last row handed out.
///
/// An actor on its connection's executor: the cursor is that connection's state.
actor PendingAlertCursor {
    private let connection: PostgresConnection
    private let window: SendWindow
    private let unsentOnly: Bool
    private var isOpen = false
    private var isExhausted = false
    private var after: (time: Double, alertId: Int64)?

    init(connection: PostgresConnection, window: SendWindow, unsentOnly: Bool) {
        self.connection = connection
        self.window = window
        self.unsentOnly = unsentOnly
    }

    nonisolated var unownedExecutor: UnownedSerialExecutor { connection.executor.asUnownedSerialExecutor() }

    /// The next `limit` alerts; empty once the window is done.
    func next(limit: Int) throws -> [PendingAlert] {
        guard !isExhausted else { return [] }
        do {
            if !isOpen { try open() }
            // FETCH takes no parameters; the count is an integer of ours, not text from outside.
            let result = try connection.query(
                "FETCH FORWARD \(unescaped: String(max(1, limit))) FROM pending_alerts",
                statement: "fetch alerts to send", results: .binary)
            let page = try result.rows.map { row in
                let (alertId, sourceId, objectId, time, filter, ra, decl, flux, fluxError, snr, objectLastAlert) = try row.decode(
                    (Int64, Int64, Int64?, Double, String, Double, Double, Float, Float, Float, Double).self)
                return PendingAlert(
                    alertId: alertId,
                    source: DiaSource(
                        diaSourceId: sourceId, diaObjectId: objectId, midPointTai: time, filterName: filter, ra: ra, decl: decl, psFlux: flux,
                        psFluxErr: fluxError, snr: snr),
                    objectLastAlert: objectLastAlert)
            }
            if let last = page.last { after = (last.source.midPointTai, last.alertId) }
            if page.count < limit {
                isExhausted = true
                try close()
            }
            return page
        } catch let error as PostgresError where error.isConnectionLoss {
            isOpen = false
            throw error
        }
    }

    /// Opens the session again after the server was restarted or the connection lost.
    func reconnect() throws {
        isOpen = false
        try connection.reconnect()
    }

    private func open() throws {
        try connection.query("BEGIN", statement: "begin alert cursor")
        isOpen = true
        // Plan for every row, not the first few: hash joins and one sort instead of probes per row.
        try connection.query("SET LOCAL cursor_tuple_fraction = 1", statement: "plan the cursor for all rows")
        let resumeTime = after?.time ?? -.infinity
        let resumeId = after?.alertId ?? .min
        try connection.query(
            """
            DECLARE pending_alerts NO SCROLL CURSOR FOR
            SELECT a.alert_id, s.diasource_id, o.diaobject_id, s.midpointtai, s.filtername, s.ra, s.decl,
                   s.psflux, s.psfluxerr, s.snr, max(s.midpointtai) OVER (PARTITION BY s.diaobject_id)
              FROM elasticc2_ppdbalert a
              JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
              -- Alerts whose object is missing come too, with no object id: they are reported, never skipped quietly.
              LEFT JOIN elasticc2_ppdbdiaobject o ON o.diaobject_id = s.diaobject_id
             WHERE (NOT \(unsentOnly) OR a.alertsenttimestamp IS NULL) AND s.midpointtai <= \(window.through)
               AND (\(window.start)::double precision IS NULL OR s.midpointtai >= \(window.start))
               AND s.midpointtai >= \(resumeTime) AND (s.midpointtai, a.alert_id) > (\(resumeTime), \(resumeId))
             ORDER BY s.midpointtai, a.alert_id
            """, statement: "declare alert cursor")
    }

    private func close() throws {
        guard isOpen else { return }
        isOpen = false
        try connection.query("COMMIT", statement: "close alert cursor")
    }
}
