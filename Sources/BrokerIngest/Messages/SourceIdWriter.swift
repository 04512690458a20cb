import Dispatch
import Postgres
import Synchronization

/// Records a batch's source ids in `elasticc2_brokersourceids` on a session of its own, while
/// the messages' transaction runs on the other: the id insert is a large share of the server's
/// storing work, and this way PostgreSQL does the two side by side.
///
/// The messages' transaction waits for the ids before it commits, so a stored message always
/// has its source id. An id stored without its message (a crash in between) is harmless: the
/// message is read again from the stored offsets, and brokers did answer that source.
///
/// Ids this process has stored are remembered (up to a bound) and not sent again: every
/// classifier of a broker answers the same sources.
final class SourceIdWriter: Sendable {
    let connection: PostgresConnection
    private let stored = Mutex<Set<Int64>>([])
    static let rememberedIds = 2_000_000

    init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// A writer on a new session of its own.
    static func open(conninfo: String) async throws -> SourceIdWriter {
        let connection = try await PostgresConnection.open(conninfo, applicationName: "broker-poll source ids")
        try await prepareSession(connection)
        return SourceIdWriter(connection: connection)
    }

    /// Starts storing `ids` on this writer's session; `wait()` on the result before committing
    /// anything that relies on them. Ids sorted without repeats (as a batch summary has them)
    /// are taken as they are.
    func start(_ ids: [Int64]) -> PendingSourceIds {
        let pending = PendingSourceIds()
        let sortedIds = zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 } ? ids : Array(Set(ids)).sorted()
        let fresh = stored.withLock { known in sortedIds.filter { !known.contains($0) } }
        guard !fresh.isEmpty else {
            pending.finish(nil)
            return pending
        }
        connection.executor.execute { [self] in
            do {
                try Self.insert(fresh, on: connection)
                stored.withLock { known in
                    if known.count + fresh.count > Self.rememberedIds { known.removeAll(keepingCapacity: true) }
                    known.formUnion(fresh)
                }
                pending.finish(nil)
            } catch {
                pending.finish(error)
            }
        }
        return pending
    }

    /// The session runs only the insert below: one index probe an id. Given a batch-sized array,
    /// the planner prefers a hash anti-join reading the whole table every batch.
    static func prepareSession(_ connection: PostgresConnection) async throws {
        try await connection.query("SET enable_hashjoin = off", statement: "plan source-id inserts with index probes")
        try await connection.query("SET enable_mergejoin = off", statement: "plan source-id inserts with index probes")
    }

    /// Sorted, without duplicates: no sort on the server, and index pages in order. The ids
    /// not there yet go in by a plain insert, half the cost of `ON CONFLICT`'s speculative one;
    /// should another session insert one of them meanwhile (another instance, a REST push), the
    /// unique violation sends the batch through `ON CONFLICT DO NOTHING` instead.
    /// `inTransaction`: inside a transaction of the caller's, where a failed statement would
    /// abort it, so `ON CONFLICT` straight away.
    static func insert(_ sortedIds: [Int64], on connection: PostgresConnection, inTransaction: Bool = false) throws(PostgresError) {
        if inTransaction {
            try insertSkippingConflicts(sortedIds, on: connection)
            return
        }
        do {
            try connection.query(
                """
                INSERT INTO elasticc2_brokersourceids (diasource_id)
                SELECT id FROM unnest(\(sortedIds)::bigint[]) AS x(id)
                 WHERE NOT EXISTS (SELECT 1 FROM elasticc2_brokersourceids b WHERE b.diasource_id = x.id)
                """, statement: "insert broker source ids")
        } catch let error where error.sqlState == "23505" {
            try insertSkippingConflicts(sortedIds, on: connection)
        }
    }

    private static func insertSkippingConflicts(_ sortedIds: [Int64], on connection: PostgresConnection) throws(PostgresError) {
        try connection.query(
            "INSERT INTO elasticc2_brokersourceids (diasource_id) SELECT unnest(\(sortedIds)::bigint[]) ON CONFLICT DO NOTHING",
            statement: "insert broker source ids, skipping those there")
    }
}

/// A source-id insert in flight on the writer's session.
final class PendingSourceIds: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let outcome = Mutex<(any Error)?>(nil)

    fileprivate func finish(_ error: (any Error)?) {
        outcome.withLock { $0 = error }
        done.signal()
    }

    /// Blocks the calling thread (a connection's own, never the cooperative pool) until the ids
    /// are committed; rethrows the insert's failure.
    func wait() throws {
        done.wait()
        done.signal()  // later waits return at once
        if let error = outcome.withLock({ $0 }) { throw error }
    }
}
