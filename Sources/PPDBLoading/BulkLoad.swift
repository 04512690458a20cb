import Logging
import Postgres
import TOMDatabase

/// Loading into empty tables the way pg_restore does: rows first, indexes after. Building an
/// index once from sorted data is several times cheaper than maintaining it row by row,
/// above all for keys that arrive in random order (`midpointtai`). Where it may, it also
/// empties the tables in the same transaction, so COPY can write the rows frozen: then no
/// later reader rewrites every page to set hint bits and no autovacuum has to freeze them,
/// work that otherwise lands on the first alert-sender run after a load.
///
/// Only plain indexes are deferred; those behind primary keys and unique constraints stay, as
/// foreign keys depend on them. Use it inside a transaction: if the load fails, the rollback
/// brings back the indexes (and anything truncated).
struct BulkLoad {
    private struct Index {
        var name: String
        var definition: String
    }

    private let indexes: [Index]
    /// Whether COPY may write frozen rows (`COPY … FREEZE`) into these tables.
    let freeze: Bool

    /// Foreign keys for a load in this transaction. Rows made consistent by construction skip the
    /// per-row trigger checks, as `pg_restore --disable-triggers` does, where the role may
    /// (superusers only); elsewhere each statement is checked as it ends, rather than every
    /// row's check queueing until COMMIT (the keys are DEFERRABLE INITIALLY DEFERRED).
    static func relaxForeignKeyChecks(on connection: PostgresConnection, logger: Logger) throws {
        // Asked first: a refused SET would abort the transaction.
        if try connection.query("SELECT current_setting('is_superuser') = 'on'", statement: "may skip triggers").single(Bool.self) {
            try connection.query("SET LOCAL session_replication_role = replica", statement: "skip foreign-key triggers")
        } else {
            logger.notice("Foreign-key checks stay on for this load (skipping them needs a superuser): loading is slower")
            try connection.query("SET CONSTRAINTS ALL IMMEDIATE", statement: "check foreign keys per statement")
        }
    }

    /// Whether every one of `tables` (our own constant names) is empty.
    private static func tablesAreEmpty(_ tables: [String], on connection: PostgresConnection) throws -> Bool {
        let probe = tables.map { "NOT EXISTS (SELECT 1 FROM \($0))" }.joined(separator: " AND ")
        return try connection.query("SELECT \(unescaped: probe)", statement: "are the tables empty").single(Bool.self)
    }

    /// When `tables` (our own constant names) are all empty, prepares them for loading: truncates
    /// them when no other table refers to them, and drops their plain indexes, keeping the
    /// definitions. Nil when any holds rows: the load then goes in row by row.
    static func beginIfEmpty(on connection: PostgresConnection, tables: [String]) throws -> BulkLoad? {
        guard try tablesAreEmpty(tables, on: connection) else { return nil }
        // Dropping indexes and truncating lock the tables anyway; taking the lock first means no
        // other session's rows can arrive between the check and the TRUNCATE.
        try connection.query("LOCK TABLE \(unescaped: tables.joined(separator: ", ")) IN ACCESS EXCLUSIVE MODE", statement: "lock the tables to load")
        guard try tablesAreEmpty(tables, on: connection) else { return nil }
        // TRUNCATE must name every table whose foreign keys point into the set.
        let outsideReferences = try connection.query(
            """
            SELECT count(*) FROM pg_constraint
             WHERE contype = 'f' AND confrelid = ANY(\(tables)::regclass[]) AND NOT conrelid = ANY(\(tables)::regclass[])
            """, statement: "find references into the loaded tables"
        ).single(Int64.self)
        let freeze = outsideReferences == 0
        if freeze {
            try connection.query("TRUNCATE \(unescaped: tables.joined(separator: ", "))", statement: "empty the tables to load frozen rows")
        }
        let found = try connection.query(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
              FROM pg_index i
             WHERE i.indrelid = ANY(\(tables)::regclass[])
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
             ORDER BY 1
            """, statement: "find indexes to defer")
        let indexes = try found.rows.map { row in
            let (name, definition) = try row.decode((String, String).self)
            return Index(name: name, definition: definition)
        }
        // Names come from the catalogue, already quoted by regclass; no value of ours is spliced in.
        for index in indexes {
            try connection.query("DROP INDEX \(unescaped: index.name)", statement: "drop a deferred index")
        }
        return BulkLoad(indexes: indexes, freeze: freeze)
    }

    /// Builds every dropped index again, from its original definition.
    func finish(on connection: PostgresConnection, logger: Logger) throws {
        // Sorting for an index build is the memory-hungry step; this transaction may use more.
        try connection.query("SET LOCAL maintenance_work_mem = '256MB'", statement: "index build memory")
        for index in indexes {
            let started = ContinuousClock.now
            try connection.query(PostgresQuery(unescaped: index.definition), statement: "build a deferred index")
            logger.debug("Index built", metadata: ["index": "\(index.name)", "seconds": "\((ContinuousClock.now - started) / .seconds(1))"])
        }
    }

    var names: [String] { indexes.map(\.name) }
}
