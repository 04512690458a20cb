import Foundation
import Postgres
import TOMDatabase

/// The TOM's subset dumps (`admin_tools/make_elasticc2_subset_dump.py` and its importer): a
/// pg_dump custom archive of `temp_copy_<table>` copies of a few PPDB objects with their
/// sources, forced sources, alerts and truth, every classifier, and the messages about the
/// copied alerts. Both directions, so a subset made here loads with the TOM's importer and one
/// the TOM made loads here.
public enum SubsetDump {
    /// Parents before children, as the TOM's importer copies them.
    public static let tables = [
        "elasticc2_ppdbdiaobject", "elasticc2_ppdbdiasource", "elasticc2_ppdbdiaforcedsource", "elasticc2_ppdbalert",
        "elasticc2_diaobjecttruth", "elasticc2_brokerclassifier", "elasticc2_brokermessage",
    ]
    static let prefix = "temp_copy_"
    /// Identity sequences moved past the imported ids.
    static let identities = [("elasticc2_brokerclassifier", "classifier_id"), ("elasticc2_brokermessage", "brokermessage_id")]

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public struct TableCount: Sendable, Equatable {
        public var table: String
        /// Rows of the dump (`make`: rows written).
        public var rows: Int64
        /// Rows added (`load`: those already there were skipped).
        public var added: Int64
    }

    /// Whether a `pg_restore --list` names the subset's tables.
    static func holdsSubset(_ listing: String) -> Bool {
        PostgresTools.archiveEntries(listing).contains { $0.kind == "TABLE DATA" && $0.name.hasPrefix(prefix + "elasticc2_") }
    }

    /// Copies tables left by a run that died would be taken for this run's: refuse, naming them.
    static func refuseLeftovers(_ connection: PostgresConnection) throws {
        let leftovers = try connection.query(
            "SELECT string_agg(relname, ', ' ORDER BY relname) FROM pg_class WHERE relname LIKE 'temp\\_copy\\_elasticc2\\_%' AND relkind = 'r'",
            statement: "find copy tables")
        if let names: String = try leftovers.single(String?.self) {
            throw Failure(description: "the database already has \(names) (another subset dump or import at work, or one that died): drop them first")
        }
    }

    static func dropCopies(_ connection: PostgresConnection) throws {
        // "does not exist, skipping" for each copy not made says nothing a reader needs.
        try connection.query("SET client_min_messages = warning", statement: "quiet notices")
        let names = tables.map { "public.\(prefix)\($0)" }.joined(separator: ", ")
        try connection.query(PostgresQuery(unescaped: "DROP TABLE IF EXISTS \(names)"), statement: "drop the copy tables")
    }

    /// `ppdb import-subset`: restores the dump's copy tables (no owners, no grants: the TOM's
    /// `postgres_ro` need not exist), then in one transaction adds their rows to ours, skipping
    /// rows whose key is there, moves the identity sequences past them, and drops the copies; the
    /// copies are dropped when anything fails, too.
    public static func load(dump: String, conninfo: String) throws -> [TableCount] {
        let listing = try PostgresTools.run([PostgresTools.restoreProgram, "--list", dump])
        guard holdsSubset(listing) else {
            throw Failure(
                description: "\(dump) holds no temp_copy_elasticc2_* tables: it is no subset dump (a whole database's dump loads with `ppdb restore`)"
            )
        }
        // The copy tables and their rows; not their grants (to the TOM's postgres_ro, which need not exist here).
        let copies = Set(tables.map { prefix + $0 })
        let wanted = PostgresTools.archiveEntries(listing).filter { entry in
            ["TABLE", "TABLE DATA"].contains(entry.kind) && entry.schema == "public" && copies.contains(entry.name)
        }
        let connection = try PostgresConnection(conninfo, applicationName: "ppdb import-subset")
        try refuseLeftovers(connection)
        defer { try? dropCopies(connection) }
        try PostgresTools.restore(listEntries: wanted.map(\.line), dump: dump, conninfo: conninfo)
        return try connection.transaction {
            var counts: [TableCount] = []
            for table in tables {
                let copy = prefix + table
                guard try connection.query("SELECT to_regclass(\("public." + copy)) IS NOT NULL", statement: "find \(copy)").single(Bool.self) else {
                    continue
                }
                // The columns both have, in ours' order: a dump from an older TOM still loads.
                let columns = try connection.query(
                    """
                    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a
                     WHERE a.attrelid = to_regclass(\("public." + table)) AND a.attnum > 0 AND NOT a.attisdropped
                       AND EXISTS (SELECT 1 FROM pg_attribute c WHERE c.attrelid = to_regclass(\("public." + copy)) AND c.attname = a.attname
                                      AND NOT c.attisdropped)
                    """, statement: "common columns"
                ).single(String.self)
                let rows = try connection.query(PostgresQuery(unescaped: "SELECT count(*) FROM public.\(copy)"), statement: "rows of \(copy)")
                    .single(Int64.self)
                let added = try connection.query(
                    PostgresQuery(
                        unescaped: "INSERT INTO public.\(table) (\(columns)) SELECT \(columns) FROM public.\(copy) ON CONFLICT DO NOTHING"),
                    statement: "add \(table)"
                ).affectedRows
                counts.append(TableCount(table: table, rows: rows, added: Int64(added)))
            }
            for (table, column) in identities {
                try connection.query(
                    """
                    SELECT setval(pg_get_serial_sequence(\("public." + table), \(column)), max(\(unescaped: column)))
                      FROM public.\(unescaped: table) HAVING max(\(unescaped: column)) IS NOT NULL
                    """, statement: "move \(table)'s ids on")
            }
            try dropCopies(connection)
            return counts
        }
    }

    /// `ppdb make-subset`: `objects` PPDB objects picked at random (with `seed`, the same ones
    /// each time; `onlySent`: among objects with a sent alert), copied with everything of theirs
    /// into `temp_copy_*` tables, dumped as the TOM's maker dumps them, the copies dropped.
    public static func make(objects: Int, onlySent: Bool, seed: Double?, conninfo: String, output: String) throws -> [TableCount] {
        let connection = try PostgresConnection(conninfo, applicationName: "ppdb make-subset")
        try refuseLeftovers(connection)
        defer { try? dropCopies(connection) }
        var counts: [TableCount] = []
        try connection.transaction {
            for table in tables {
                try connection.query(
                    PostgresQuery(unescaped: "CREATE TABLE public.\(prefix)\(table) AS SELECT * FROM public.\(table) WITH NO DATA"),
                    statement: "create the copy of \(table)")
            }
            if let seed { try connection.query("SELECT setseed(\(seed))", statement: "seed the choice") }
            let sent =
                onlySent
                ? "WHERE EXISTS (SELECT 1 FROM elasticc2_ppdbalert a WHERE a.diaobject_id = o.diaobject_id AND a.alertsenttimestamp IS NOT NULL)" : ""
            try connection.query(
                PostgresQuery(
                    unescaped: """
                        INSERT INTO public.\(prefix)elasticc2_ppdbdiaobject
                        SELECT o.* FROM (SELECT * FROM elasticc2_ppdbdiaobject ORDER BY diaobject_id) o \(sent)
                         ORDER BY random() LIMIT \(max(0, objects))
                        """), statement: "pick objects")
            for table in ["elasticc2_ppdbdiasource", "elasticc2_ppdbdiaforcedsource", "elasticc2_ppdbalert", "elasticc2_diaobjecttruth"] {
                try connection.query(
                    PostgresQuery(
                        unescaped: """
                            INSERT INTO public.\(prefix)\(table) SELECT * FROM public.\(table)
                             WHERE diaobject_id IN (SELECT diaobject_id FROM public.\(prefix)elasticc2_ppdbdiaobject)
                            """), statement: "copy \(table)")
            }
            try connection.query(
                PostgresQuery(unescaped: "INSERT INTO public.\(prefix)elasticc2_brokerclassifier SELECT * FROM public.elasticc2_brokerclassifier"),
                statement: "copy the classifiers")
            try connection.query(
                PostgresQuery(
                    unescaped: """
                        INSERT INTO public.\(prefix)elasticc2_brokermessage SELECT * FROM public.elasticc2_brokermessage
                         WHERE alert_id IN (SELECT alert_id FROM public.\(prefix)elasticc2_ppdbalert)
                        """), statement: "copy the messages")
            for table in tables {
                let rows = try connection.query(PostgresQuery(unescaped: "SELECT count(*) FROM public.\(prefix)\(table)"), statement: "count")
                    .single(Int64.self)
                counts.append(TableCount(table: table, rows: rows, added: rows))
            }
        }
        try PostgresTools.dump(tables: tables.map { prefix + $0 }, conninfo: conninfo, output: output)
        try dropCopies(connection)
        return counts
    }
}
