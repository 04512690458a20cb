import Foundation
import Postgres
import TOMDatabase
import TestSupport
import Testing

@testable import BrokerIngest

@Suite("broker-poll's source ids on their own session")
struct SourceIdWriterTests {
    @Test("Ids another session inserts meanwhile make the plain insert fail; the batch goes in skipping them, nothing lost")
    func concurrentInsertFallsBack() async throws {
        let (url, connection) = try BrokerPollTests.database()
        try await connection.query("INSERT INTO elasticc2_brokersourceids (diasource_id) VALUES (1)", statement: "already there")
        // Another session inserts 42 and holds its transaction open: our plain insert cannot see
        // it yet, waits on its index entry, and fails with a unique violation once it commits.
        let other = try PostgresConnection(url)
        try await other.query("BEGIN", statement: "begin")
        try await other.query("INSERT INTO elasticc2_brokersourceids (diasource_id) VALUES (42)", statement: "insert meanwhile")
        let sourceSession = try await PostgresConnection.open(url, applicationName: "source ids test")
        try await SourceIdWriter.prepareSession(sourceSession)
        let writer = SourceIdWriter(connection: sourceSession)
        let pending = writer.start([43, 1, 41, 42, 41])
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        var sawWait = false
        while clock.now < deadline, !sawWait {
            let waiting = try await connection.query(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'source ids test' AND wait_event_type = 'Lock'",
                statement: "is the insert waiting")
            sawWait = try waiting.value(0, 0, as: Int64.self) == 1
            if !sawWait { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(sawWait, "the plain insert waits on the other session's uncommitted id")
        try await other.query("COMMIT", statement: "commit")
        // Waited for on a connection's thread, as the messages' transaction does, not on the pool.
        try await other.run { _ in try pending.wait() }
        let ids = try await connection.query("SELECT diasource_id FROM elasticc2_brokersourceids ORDER BY 1", statement: "ids")
        #expect(try (0..<ids.rowCount).map { try ids.value($0, 0, as: Int64.self) } == [1, 41, 42, 43])
        // The same ids again are remembered and not sent; a new one still goes in.
        let again = writer.start([41, 42, 43, 44])
        try await other.run { _ in try again.wait() }
        #expect(try await connection.query("SELECT count(*) FROM elasticc2_brokersourceids", statement: "count").value(0, 0, as: Int64.self) == 5)
    }
}
