import Logging
import Postgres

/// Loading into empty tables the way pg_restore does: rows first, indexes after. Building an
/// index once from sorted data is several times cheaper than maintaining it row by row,
/// above all for keys that arrive in random order (`midpointtai`).
///
/// Only plain indexes are deferred; those behind primary keys and unique constraints stay, as
/// foreign keys depend on them. Use it inside a transaction: if the load fails, the rollback
/// brings the dropped indexes back.
struct DeferredIndexes {
    private struct Index {
        var name: String
        var definition: String
    }

    private let indexes: [Index]

    /// Drops the plain indexes of `tables`, keeping their definitions to build them again.
    static func drop(on connection: PostgresConnection, tables: [String]) throws -> DeferredIndexes {
        let found = try connection.query("""
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
              FROM pg_index i
             WHERE i.indrelid = ANY($1::text[]::regclass[])
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
             ORDER BY 1
            """, [.textArray(tables)], statement: "find indexes to defer")
        let indexes = (0..<found.rowCount).map { Index(name: found.string($0, 0)!, definition: found.string($0, 1)!) }
        // Names come from the catalogue, already quoted by regclass; no value of ours is spliced in.
        for index in indexes {
            try connection.query("DROP INDEX \(index.name)", statement: "drop a deferred index")
        }
        return DeferredIndexes(indexes: indexes)
    }

    /// Builds every dropped index again, from its original definition.
    func recreate(on connection: PostgresConnection, logger: Logger) throws {
        // Sorting for an index build is the memory-hungry step; this transaction may use more.
        try connection.query("SET LOCAL maintenance_work_mem = '256MB'", statement: "index build memory")
        for index in indexes {
            let started = ContinuousClock.now
            try connection.query(index.definition, statement: "build a deferred index")
            logger.debug("Index built", metadata: ["index": "\(index.name)", "seconds": "\((ContinuousClock.now - started) / .seconds(1))"])
        }
    }

    var names: [String] { indexes.map(\.name) }
}
