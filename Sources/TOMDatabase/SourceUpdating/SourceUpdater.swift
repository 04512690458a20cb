import Logging
import Postgres

/// The TOM's `update_elasticc2_sources`: copies the objects, sources and forced sources that
/// brokers answered for from the PPDB into the TOM's own tables, and summarises each updated
/// object's first and latest source per filter in `elasticc2_diaobjectinfo`.
///
/// The same rows as the TOM's command, with three differences in how: everything happens in one
/// transaction (a run killed at any instant leaves nothing half-done and nothing stuck); forced
/// sources are read only for the objects that got new sources, and only after each one's
/// previously promoted latest source, where the TOM re-reads every promoted object's photometry
/// on every run; and the TOM's `elasticc2_importppdbrunning` flag
/// is honoured but never left set (the row is locked, not flagged, while we run).
public struct SourceUpdater: Sendable {
    public struct Summary: Sendable, Equatable {
        public var sourceIds = 0
        public var newObjects = 0
        public var newSources = 0
        public var newForcedSources = 0
        public var objectInfoRows = 0
        public var idsConsumed = 0
        public var seconds = 0.0
    }

    public struct Refused: Error, CustomStringConvertible {
        public var description: String
    }

    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Runs the update. `doAll`: process every source id in `elasticc2_brokermessage` and
    /// consume nothing from `elasticc2_brokersourceids`.
    public func run(on connection: PostgresConnection, doAll: Bool = false) throws -> Summary {
        let started = ContinuousClock.now
        var summary = Summary()
        try connection.transaction {
            try takeTheRunningRow(connection)
            let sourceTable = doAll ? "elasticc2_brokermessage" : "elasticc2_brokersourceids"
            try connection.query(
                """
                CREATE TEMP TABLE es_orig_sources ON COMMIT DROP AS SELECT DISTINCT diasource_id FROM \(unescaped: sourceTable)
                """, statement: "copy the source ids")
            summary.sourceIds = try count(connection, "es_orig_sources")
            // Sources not yet promoted, and only those the PPDB knows.
            try connection.query(
                """
                CREATE TEMP TABLE es_new_sources ON COMMIT DROP AS
                SELECT p.diasource_id, p.diaobject_id FROM es_orig_sources o
                  JOIN elasticc2_ppdbdiasource p ON p.diasource_id = o.diasource_id
                 WHERE NOT EXISTS (SELECT 1 FROM elasticc2_diasource s WHERE s.diasource_id = o.diasource_id)
                """, statement: "find new sources")
            try connection.query(
                "CREATE TEMP TABLE es_updated_objects ON COMMIT DROP AS SELECT DISTINCT diaobject_id FROM es_new_sources WHERE diaobject_id IS NOT NULL",
                statement: "find updated objects")
            // How far each updated object's forced photometry is already promoted: through its
            // latest promoted source (an earlier run, ours or the TOM's, copied every forced source
            // up to there). Read before this run's sources go in.
            try connection.query(
                """
                CREATE TEMP TABLE es_forced_promoted ON COMMIT DROP AS
                SELECT u.diaobject_id,
                       (SELECT max(s.midpointtai) FROM elasticc2_diasource s WHERE s.diaobject_id = u.diaobject_id) AS through
                  FROM es_updated_objects u
                """, statement: "find how far forced sources are promoted")
            try connection.query("ANALYZE es_new_sources, es_updated_objects, es_forced_promoted", statement: "plan with the new work's size")
            // Not an anti-join on the table being filled: planned against an empty
            // elasticc2_diaobject, that became a nested loop re-reading the rows this very
            // statement wrote, quadratic (over 10 minutes for 172,413 objects).
            summary.newObjects = try connection.query(
                """
                INSERT INTO elasticc2_diaobject
                SELECT o.* FROM elasticc2_ppdbdiaobject o JOIN es_updated_objects u ON u.diaobject_id = o.diaobject_id
                ON CONFLICT (diaobject_id) DO NOTHING
                """, statement: "copy new objects"
            ).affectedRows
            summary.newSources = try connection.query(
                """
                INSERT INTO elasticc2_diasource
                SELECT s.* FROM elasticc2_ppdbdiasource s JOIN es_new_sources n ON n.diasource_id = s.diasource_id
                """, statement: "copy new sources"
            ).affectedRows
            // Every PPDB forced source at or before an updated object's latest source, less those
            // an earlier run copied (at or before the object's previous latest source): runs a
            // few minutes apart read each forced source once, not once a run. Objects without
            // new sources already have theirs: their latest source did not move.
            summary.newForcedSources = try connection.query(
                """
                INSERT INTO elasticc2_diaforcedsource
                SELECT f.* FROM (SELECT s.diaobject_id, max(s.midpointtai) AS latest, min(p.through) AS through
                                   FROM elasticc2_diasource s JOIN es_forced_promoted p ON p.diaobject_id = s.diaobject_id
                                  GROUP BY s.diaobject_id) l
                  JOIN elasticc2_ppdbdiaforcedsource f ON f.diaobject_id = l.diaobject_id AND f.midpointtai <= l.latest
                                                      AND (l.through IS NULL OR f.midpointtai > l.through)
                ON CONFLICT DO NOTHING
                """, statement: "copy new forced sources"
            ).affectedRows
            // The TOM's two statements, in its order (so identity values are drawn as it draws them).
            for (group, order) in [("first", "s.midpointtai, s.diasource_id"), ("latest", "s.midpointtai DESC, s.diasource_id DESC")] {
                let touched = try connection.query(
                    """
                    INSERT INTO elasticc2_diaobjectinfo (diaobject_id, filtername, \(unescaped: group)source_id, \(unescaped: group)sourceflux,
                                                         \(unescaped: group)sourcefluxerr, \(unescaped: group)sourcemjd)
                    SELECT DISTINCT ON (u.diaobject_id, s.filtername) u.diaobject_id, s.filtername, s.diasource_id, s.psflux, s.psfluxerr, s.midpointtai
                      FROM es_updated_objects u JOIN elasticc2_diasource s ON s.diaobject_id = u.diaobject_id
                     ORDER BY u.diaobject_id, s.filtername, \(unescaped: order)
                    ON CONFLICT ON CONSTRAINT diaobjectinfo_unique DO UPDATE
                       SET \(unescaped: group)source_id = excluded.\(unescaped: group)source_id,
                           \(unescaped: group)sourceflux = excluded.\(unescaped: group)sourceflux,
                           \(unescaped: group)sourcefluxerr = excluded.\(unescaped: group)sourcefluxerr,
                           \(unescaped: group)sourcemjd = excluded.\(unescaped: group)sourcemjd
                    """, statement: "update object info (\(group) source)"
                ).affectedRows
                // Both statements touch the same (object, filter) rows: count them once.
                if group == "first" { summary.objectInfoRows = touched }
            }
            if !doAll {
                summary.idsConsumed = try connection.query(
                    "DELETE FROM elasticc2_brokersourceids b USING es_orig_sources o WHERE b.diasource_id = o.diasource_id",
                    statement: "consume the source ids"
                ).affectedRows
            }
        }
        summary.seconds = (ContinuousClock.now - started) / .seconds(1)
        logger.info(
            "update-sources done",
            metadata: [
                "source.ids": "\(summary.sourceIds)", "objects": "\(summary.newObjects)", "sources": "\(summary.newSources)",
                "forced.sources": "\(summary.newForcedSources)", "object.info.rows": "\(summary.objectInfoRows)",
                "ids.consumed": "\(summary.idsConsumed)", "seconds": "\(summary.seconds)",
            ])
        return summary
    }

    /// Serialises runs: ours wait for each other on the row lock; the TOM's command, which locks
    /// the table first, waits for us; a TOM run in progress (its flag committed as true) refuses ours.
    private func takeTheRunningRow(_ connection: PostgresConnection) throws {
        try connection.query(
            """
            INSERT INTO elasticc2_importppdbrunning (running)
            SELECT false WHERE NOT EXISTS (SELECT 1 FROM elasticc2_importppdbrunning)
            """, statement: "seed the running flag")
        let rows = try connection.query("SELECT running FROM elasticc2_importppdbrunning FOR UPDATE", statement: "lock the running flag")
        guard rows.rowCount == 1 else {
            throw Refused(description: "elasticc2_importppdbrunning holds \(rows.rowCount) rows; the TOM expects exactly one")
        }
        if try rows.single(Bool.self) {
            throw Refused(
                description: "the TOM's update_elasticc2_sources is running (elasticc2_importppdbrunning.running is true); "
                    + "if it died, set it false: UPDATE elasticc2_importppdbrunning SET running = false")
        }
    }

    private func count(_ connection: PostgresConnection, _ table: String) throws -> Int {
        try connection.query("SELECT count(*) FROM \(unescaped: table)", statement: "count \(table)").single(Int.self)
    }
}
