import Foundation
import Postgres
import TOMDatabase

/// Restores a TOM database dump (pg_dump custom format, data only) into a migrated database:
/// the PPDB, truth and broker tables, and the identity sequences' positions.
public enum SnapshotRestorer {
    /// The PPDB and truth tables: the ones every loader fills.
    public static let ppdbTables = PPDBCopy.tables
    public static let brokerTables = ["elasticc2_brokerclassifier", "elasticc2_brokermessage", "elasticc2_brokersourceids"]
    /// The TOM's own copies of what brokers answered for (`update-sources` fills them).
    public static let objectTables = ["elasticc2_diaobject", "elasticc2_diasource", "elasticc2_diaforcedsource", "elasticc2_diaobjectinfo"]
    public static let restoredTables = ppdbTables + brokerTables + objectTables
    static let restoredSequences = [
        "elasticc2_brokerclassifier_classifierId_seq", "elasticc2_brokermessage_brokerMessageId_seq", "elasticc2_diaobjectinfo__id_seq",
    ]

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs `pg_restore --data-only` on the dump's entries for our tables, in one transaction so
    /// the deferred foreign keys are checked once everything is in. Without the broker tables
    /// (`--ppdb-only`), the TOM's object tables are left out too: the state before a cycle.
    public static func restore(dump: String, conninfo: String, includeBrokerTables: Bool = true) throws {
        let tables = includeBrokerTables ? restoredTables : ppdbTables
        let sequences = includeBrokerTables ? restoredSequences : []
        let listing = try PostgresTools.run([PostgresTools.restoreProgram, "--list", dump])
        let wanted = PostgresTools.archiveEntries(listing).filter { entry in
            guard entry.schema == "public" else { return false }
            return (entry.kind == "TABLE DATA" && tables.contains(entry.name)) || (entry.kind == "SEQUENCE SET" && sequences.contains(entry.name))
        }
        // pg_restore of nothing succeeds: say what the dump is instead.
        guard wanted.contains(where: { $0.kind == "TABLE DATA" }) else {
            let hint =
                SubsetDump.holdsSubset(listing)
                ? "it is a TOM subset dump (temp_copy_* tables): load it with `ppdb import-subset \(dump)`"
                : "it holds no data of the TOM's elasticc2 tables"
            throw Failure(description: "nothing to restore from \(dump): \(hint)")
        }
        do {
            try PostgresTools.restore(listEntries: wanted.map(\.line), dump: dump, conninfo: conninfo, options: ["--data-only"])
        } catch let error as PostgresTools.Failure {
            throw Failure(description: error.description)
        }
    }
}
