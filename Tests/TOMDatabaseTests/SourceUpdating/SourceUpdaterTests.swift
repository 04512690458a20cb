import Foundation
import Logging
import PPDBLoading
import Postgres
import TOMDatabase
import TestSupport
import Testing

@Suite("ppdb update-sources: the TOM's update_elasticc2_sources", .serialized)
struct SourceUpdaterTests {
    static let logger = Logger(label: "update-sources-tests")

    /// The snapshot's end state with the TOM's object tables emptied and every answered source
    /// waiting in `elasticc2_brokersourceids`: what update-sources sees after a whole cycle.
    static func pendingDatabase() throws -> (url: String, connection: PostgresConnection) {
        let url = try PostgresTestServer.shared.makeDatabase("update")
        let connection = try PostgresConnection(url)
        _ = try Migrator.migrate(connection, logger: logger)
        try SnapshotRestorer.restore(dump: PostgresTestServer.snapshotPath, conninfo: url)
        try connection.execute(
            script: """
                TRUNCATE elasticc2_diaobjectinfo, elasticc2_diaforcedsource, elasticc2_diasource, elasticc2_diaobject, elasticc2_brokersourceids CASCADE;
                INSERT INTO elasticc2_brokersourceids SELECT DISTINCT diasource_id FROM elasticc2_brokermessage;
                """, statement: "pending state")
        return (url, connection)
    }

    func counts(_ connection: PostgresConnection) throws -> [Int] {
        let result = try connection.query(
            """
            SELECT (SELECT count(*) FROM elasticc2_brokersourceids), (SELECT count(*) FROM elasticc2_diaobject),
                   (SELECT count(*) FROM elasticc2_diasource), (SELECT count(*) FROM elasticc2_diaforcedsource),
                   (SELECT count(*) FROM elasticc2_diaobjectinfo)
            """, statement: "counts")
        return try (0..<5).map { try result.value(0, $0, as: Int.self) }
    }

    func running(_ connection: PostgresConnection) throws -> Bool {
        try connection.query("SELECT running FROM elasticc2_importppdbrunning", statement: "flag").value(0, 0, as: Bool.self)
    }

    @Test("One run promotes everything brokers answered for, with the first and latest source per object and filter")
    func promotesEverything() throws {
        let (_, connection) = try Self.pendingDatabase()
        #expect(try counts(connection) == [650, 0, 0, 0, 0])
        let summary = try SourceUpdater(logger: Self.logger).run(on: connection)
        #expect(summary.sourceIds == 650 && summary.newObjects == 131 && summary.newSources == 650)
        #expect(summary.newForcedSources == 5765 && summary.objectInfoRows == 268 && summary.idsConsumed == 650)
        #expect(try counts(connection) == [0, 131, 650, 5765, 268])
        // Independently: each object's forced sources are exactly the PPDB's up to its latest source.
        let wrongForced = try connection.query(
            """
            SELECT count(*) FROM (
              SELECT f.diaforcedsource_id FROM elasticc2_ppdbdiaforcedsource f
                JOIN (SELECT diaobject_id, max(midpointtai) AS latest FROM elasticc2_diasource GROUP BY 1) l
                  ON l.diaobject_id = f.diaobject_id AND f.midpointtai <= l.latest
              EXCEPT SELECT diaforcedsource_id FROM elasticc2_diaforcedsource) missing
            """, statement: "missing forced sources")
        #expect(try wrongForced.value(0, 0, as: Int.self) == 0)
        let wrongInfo = try connection.query(
            """
            SELECT count(*) FROM elasticc2_diaobjectinfo i
             WHERE i.firstsourcemjd <> (SELECT min(midpointtai) FROM elasticc2_diasource s
                                         WHERE s.diaobject_id = i.diaobject_id AND s.filtername = i.filtername)
                OR i.latestsourcemjd <> (SELECT max(midpointtai) FROM elasticc2_diasource s
                                          WHERE s.diaobject_id = i.diaobject_id AND s.filtername = i.filtername)
                OR i.firstsource_id IS NULL OR i.latestsource_id IS NULL OR i.maxforcedsource_id IS NOT NULL
            """, statement: "object info")
        #expect(try wrongInfo.value(0, 0, as: Int.self) == 0)
        #expect(try running(connection) == false)
        // Nothing new: a second run changes nothing.
        let again = try SourceUpdater(logger: Self.logger).run(on: connection)
        let nothing: [Int] = [again.sourceIds, again.newObjects, again.newSources, again.newForcedSources, again.objectInfoRows, again.idsConsumed]
        #expect(nothing == [0, 0, 0, 0, 0, 0])
    }

    @Test("Promoted in steps through the night (ids in the order the sources were seen): the same rows as one run")
    func promotesInSteps() throws {
        let (_, connection) = try Self.pendingDatabase()
        try connection.execute(
            script: """
                CREATE TABLE pending_ids AS
                SELECT b.diasource_id, ntile(5) OVER (ORDER BY s.midpointtai, b.diasource_id) AS step
                  FROM elasticc2_brokersourceids b JOIN elasticc2_ppdbdiasource s ON s.diasource_id = b.diasource_id;
                TRUNCATE elasticc2_brokersourceids;
                """, statement: "steps")
        var forced = 0
        var sources = 0
        for step in 1...5 {
            try connection.query(
                "INSERT INTO elasticc2_brokersourceids SELECT diasource_id FROM pending_ids WHERE step = \(step)", statement: "a step's ids")
            let summary = try SourceUpdater(logger: Self.logger).run(on: connection)
            forced += summary.newForcedSources
            sources += summary.newSources
        }
        #expect(sources == 650 && forced == 5765)
        #expect(try counts(connection) == [0, 131, 650, 5765, 268])
        let wrongForced = try connection.query(
            """
            SELECT count(*) FROM (
              (SELECT f.diaforcedsource_id FROM elasticc2_ppdbdiaforcedsource f
                 JOIN (SELECT diaobject_id, max(midpointtai) AS latest FROM elasticc2_diasource GROUP BY 1) l
                   ON l.diaobject_id = f.diaobject_id AND f.midpointtai <= l.latest
               EXCEPT SELECT diaforcedsource_id FROM elasticc2_diaforcedsource)
              UNION ALL
              (SELECT diaforcedsource_id FROM elasticc2_diaforcedsource
               EXCEPT SELECT f.diaforcedsource_id FROM elasticc2_ppdbdiaforcedsource f
                 JOIN (SELECT diaobject_id, max(midpointtai) AS latest FROM elasticc2_diasource GROUP BY 1) l
                   ON l.diaobject_id = f.diaobject_id AND f.midpointtai <= l.latest)) wrong
            """, statement: "forced sources either way")
        #expect(try wrongForced.value(0, 0, as: Int.self) == 0)
    }

    @Test("--doall takes every source in the broker messages and consumes no id")
    func doAll() throws {
        let (_, connection) = try Self.pendingDatabase()
        try connection.query("DELETE FROM elasticc2_brokersourceids WHERE diasource_id % 2 = 0", statement: "lose some ids")
        let left = try counts(connection)[0]
        let summary = try SourceUpdater(logger: Self.logger).run(on: connection, doAll: true)
        #expect(summary.sourceIds == 650 && summary.idsConsumed == 0)
        #expect(try counts(connection) == [left, 131, 650, 5765, 268])
    }

    @Test("While the TOM's own command runs (its flag set), ours refuses with a clear message and changes nothing")
    func refusesWhileTheTOMRuns() throws {
        let (url, connection) = try Self.pendingDatabase()
        try connection.query("UPDATE elasticc2_importppdbrunning SET running = true", statement: "TOM running")
        let outcome = try TestEnvironment.execute([TestEnvironment.executable("ppdb"), "update-sources", "--db", url])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("update_elasticc2_sources is running"), "\(outcome.stderr)")
        #expect(try counts(connection) == [650, 0, 0, 0, 0])
    }

    @Test("Killed with SIGKILL mid-run: nothing half-done, no flag left set, every id still there for the next run")
    func killedMidRun() async throws {
        let (url, connection) = try Self.pendingDatabase()
        // Hold the forced sources so the run stops there, after objects and sources went in.
        let blocker = try await PostgresConnection.open(url, applicationName: "blocker")
        try await blocker.query("BEGIN", statement: "begin")
        try await blocker.query("LOCK TABLE elasticc2_diaforcedsource IN ACCESS EXCLUSIVE MODE", statement: "block")
        let process = TestEnvironment.launch([TestEnvironment.executable("ppdb"), "update-sources", "--db", url, "--log-level", "warning"])
        try process.run()
        try await TestEnvironment.waitUntil(timeout: .seconds(30), "update-sources waits on the lock") {
            try connection.query(
                """
                SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ppdb update-sources' AND wait_event_type = 'Lock'
                """, statement: "waiting"
            ).value(0, 0, as: Int.self) == 1
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try await blocker.query("COMMIT", statement: "unblock")
        #expect(try counts(connection) == [650, 0, 0, 0, 0])
        #expect(try running(connection) == false)
        let summary = try SourceUpdater(logger: Self.logger).run(on: connection)
        #expect(summary.idsConsumed == 650)
        #expect(try counts(connection) == [0, 131, 650, 5765, 268])
    }

    @Test("Two runs at once: the second waits for the first, then finds nothing left to do")
    func concurrentRuns() async throws {
        let (url, connection) = try Self.pendingDatabase()
        let first = try await PostgresConnection.open(url)
        let second = try await PostgresConnection.open(url)
        async let one = first.run { connection in try SourceUpdater(logger: Self.logger).run(on: connection) }
        async let two = second.run { connection in try SourceUpdater(logger: Self.logger).run(on: connection) }
        let results = try await [one, two]
        #expect(results.map(\.idsConsumed).sorted() == [0, 650])
        #expect(results.map(\.newSources).sorted() == [0, 650])
        #expect(try counts(connection) == [0, 131, 650, 5765, 268])
    }
}
