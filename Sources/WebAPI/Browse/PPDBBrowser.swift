import Postgres
import TOMDatabase

/// The TOM's Django REST framework views of the PPDB (`elasticc2/urls.py`'s router): pages of
/// objects, sources and forced sources, one of each by id, an object with all its sources, and an
/// object with the sources up to one of them. Rows are written by PostgreSQL as DRF's
/// `ModelSerializer(fields='__all__')` writes them: the primary key first, the model's fields in
/// its order, the object's foreign key last as `diaobject`; floats in their shortest decimal.
public enum PPDBBrowser {
    public struct Table: Sendable {
        /// The router's prefix, and the model's name in DRF's 404 text.
        public var route: String
        public var model: String
        var table: String
        var primaryKey: String
        /// DRF's field names in its order; a foreign key's is its column without `_id`.
        var fields: [(name: String, column: String)]

        /// The fields under DRF's names, in its order: `row_to_json` keeps that order (and takes
        /// any number of them, where `json_build_object` stops at 100 arguments).
        var selectList: String { fields.map { $0.name == $0.column ? $0.column : "\($0.column) AS \($0.name)" }.joined(separator: ", ") }
    }

    /// Which rows: a page of all, one by its key, or an object's up to a time.
    enum Selection {
        /// `limit` rows from the `skip`-th at or after `key`.
        case after(key: Int64, skip: Int64, limit: Int)
        case key(Int64)
        case object(Int64, through: Double?)
    }

    /// Rows as JSON objects' text: by primary key, an object's by time.
    static func rows(_ table: Table, _ selection: Selection, on connection: PostgresConnection) throws -> [String] {
        let select = "SELECT \(table.selectList) FROM \(table.table)"
        let query: PostgresQuery
        switch selection {
        case .after(let key, let skip, let limit):
            query = """
                \(unescaped: select) WHERE \(unescaped: table.primaryKey) >= \(key)
                 ORDER BY \(unescaped: table.primaryKey) LIMIT \(Int64(limit)) OFFSET \(skip)
                """
        case .key(let id):
            query = "\(unescaped: select) WHERE \(unescaped: table.primaryKey) = \(id)"
        case .object(let id, let through):
            query = """
                \(unescaped: select) WHERE diaobject_id = \(id) AND (\(through)::double precision IS NULL OR midpointtai <= \(through))
                 ORDER BY midpointtai, \(unescaped: table.primaryKey)
                """
        }
        // The subquery's order carries through: the outer query neither joins nor sorts.
        let wrapped = PostgresQuery(sql: "SELECT row_to_json(r)::text FROM (\(query.sql)) r", bindings: query.bindings)
        let rows = try connection.query(wrapped, statement: "\(table.route) rows")
        return try rows.rows.map { try $0.decode(String.self) }
    }

    static let bands = ["u", "g", "r", "i", "z", "y"]

    /// `BaseDiaObject`'s fields in the model's order.
    public static let objectFields: [String] = {
        var fields = ["diaobject_id", "isddf", "simversion", "ra", "decl", "mwebv", "mwebv_err", "z_final", "z_final_err"]
        for galaxy in ["", "2"] {
            let prefix = "hostgal\(galaxy)_"
            let quantiles: [String] = ["000", "010", "020", "030", "040", "050", "060", "070", "080", "090", "100"]
            fields += ["ellipticity", "sqradius", "zspec", "zspec_err", "zphot", "zphot_err"].map { prefix + $0 }
            fields += quantiles.map { prefix + "zphot_q" + $0 }
            fields += bands.map { prefix + "mag_" + $0 }
            fields += ["ra", "dec", "snsep"].map { prefix + $0 }
            fields += bands.map { prefix + "magerr_" + $0 }
        }
        return fields
    }()

    public static let objects = Table(
        route: "ppdbdiaobject", model: "PPDBDiaObject", table: "elasticc2_ppdbdiaobject", primaryKey: "diaobject_id",
        fields: objectFields.map { ($0, $0) })
    public static let sources = Table(
        route: "ppdbdiasource", model: "PPDBDiaSource", table: "elasticc2_ppdbdiasource", primaryKey: "diasource_id",
        fields: ["diasource_id", "midpointtai", "filtername", "ra", "decl", "psflux", "psfluxerr", "snr"].map { ($0, $0) }
            + [("diaobject", "diaobject_id")])
    public static let forcedSources = Table(
        route: "ppdbdiaforcedsource", model: "PPDBDiaForcedSource", table: "elasticc2_ppdbdiaforcedsource", primaryKey: "diaforcedsource_id",
        fields: ["diaforcedsource_id", "midpointtai", "filtername", "psflux", "psfluxerr"].map { ($0, $0) } + [("diaobject", "diaobject_id")])
    public static let tables = [objects, sources, forcedSources]

    /// DRF's `LimitOffsetPagination` with the TOM's `PAGE_SIZE`.
    public static let defaultLimit = 100

    public struct Page: Sendable {
        public var count: Int64
        public var rows: [String]
    }

    /// Rows between anchors: a page starts at most this many index entries past its anchor.
    static let anchorSpacing: Int64 = 10_000

    /// Rows `offset ..< offset + limit` in primary-key order, and how many there are: the count
    /// and the key nearest below `offset` come from the page anchors of the table's current
    /// generation (worked out first if a write moved it on), so page 10,000 costs what page 1 does.
    public static func page(_ table: Table, limit: Int, offset: Int, on connection: PostgresConnection) throws -> Page {
        let (count, anchor) = try anchors(table, offset: Int64(offset), on: connection)
        guard Int64(offset) < count, let anchor else { return Page(count: count, rows: []) }
        return Page(count: count, rows: try rows(table, .after(key: anchor.key, skip: Int64(offset) - anchor.position, limit: limit), on: connection))
    }

    /// The row count and the anchor at or below `offset`, for the table's current generation.
    static func anchors(_ table: Table, offset: Int64, on connection: PostgresConnection) throws -> (
        count: Int64, anchor: (position: Int64, key: Int64)?
    ) {
        if let found = try currentAnchor(table, offset: offset, on: connection) { return found }
        try countAndAnchor(table, on: connection)
        if let found = try currentAnchor(table, offset: offset, on: connection) { return found }
        // Written to again while we counted: this once, the plain way.
        let count = try connection.query("SELECT count(*) FROM \(unescaped: table.table)", statement: "count \(table.route)").single(Int64.self)
        return (count, (0, Int64.min))
    }

    private static func currentAnchor(_ table: Table, offset: Int64, on connection: PostgresConnection) throws -> (
        count: Int64, anchor: (position: Int64, key: Int64)?
    )? {
        let position = offset / anchorSpacing * anchorSpacing
        let state = try connection.query(
            """
            SELECT g.row_count, a.key FROM \(unescaped: OwnTables.tableGeneration) g
              LEFT JOIN \(unescaped: OwnTables.pageAnchors) a ON a.table_name = g.table_name AND a.generation = g.generation AND a.position = \(position)
             WHERE g.table_name = \(table.table) AND g.counted_generation = g.generation
            """, statement: "page anchor")
        guard let row = state.rows.first else { return nil }
        let (count, key) = try row.decode((Int64, Int64?).self)
        return (count, key.map { (position, $0) })
    }

    /// One pass over the primary key: the count, and the key at every `anchorSpacing`-th row,
    /// labelled with the generation read first (a write committed meanwhile moves the generation
    /// on, so these are never taken for its). One request at a time does it per table.
    static func countAndAnchor(_ table: Table, on connection: PostgresConnection) throws {
        try connection.transaction {
            try connection.query("SELECT pg_advisory_xact_lock(hashtext(\("elasticcstream anchors " + table.table)))", statement: "anchor lock")
            let generation = try connection.query(
                """
                INSERT INTO \(unescaped: OwnTables.tableGeneration) (table_name, generation) VALUES (\(table.table), 1)
                ON CONFLICT (table_name) DO UPDATE SET generation = \(unescaped: OwnTables.tableGeneration).generation
                RETURNING generation, counted_generation IS NOT DISTINCT FROM generation
                """, statement: "table generation")
            let (current, done) = try generation.single((Int64, Bool).self)
            guard !done else { return }
            let count = try connection.query("SELECT count(*) FROM \(unescaped: table.table)", statement: "count \(table.route)").single(Int64.self)
            try connection.query(
                """
                INSERT INTO \(unescaped: OwnTables.pageAnchors) (table_name, generation, position, key)
                SELECT \(table.table), \(current), n, key
                  FROM (SELECT \(unescaped: table.primaryKey) AS key, row_number() OVER (ORDER BY \(unescaped: table.primaryKey)) - 1 AS n
                          FROM \(unescaped: table.table)) numbered
                 WHERE n % \(anchorSpacing) = 0
                ON CONFLICT DO NOTHING
                """, statement: "anchor \(table.route)")
            try connection.query(
                "DELETE FROM \(unescaped: OwnTables.pageAnchors) WHERE table_name = \(table.table) AND generation <> \(current)",
                statement: "drop old anchors")
            try connection.query(
                """
                UPDATE \(unescaped: OwnTables.tableGeneration) SET counted_generation = \(current), row_count = \(count)
                 WHERE table_name = \(table.table) AND generation = \(current)
                """, statement: "anchored")
        }
    }

    /// One row by its primary key, or nil.
    public static func row(_ table: Table, id: Int64, on connection: PostgresConnection) throws -> String? {
        try rows(table, .key(id), on: connection).first
    }

    /// `ppdbdiaobjectwithsources/<id>/` (every source) and `ppdbdiaobjectofsource/<id>/` (the
    /// source's object with its sources up to that source's time): the object's fields, then
    /// `diasources` and `diaforcedsources`, by time. Nil when the object (or source) is unknown.
    public static func objectWithSources(objectId: Int64? = nil, sourceId: Int64? = nil, on connection: PostgresConnection) throws -> String? {
        var object = objectId
        var through: Double?
        if let sourceId {
            let source = try connection.query(
                "SELECT diaobject_id, midpointtai FROM elasticc2_ppdbdiasource WHERE diasource_id = \(sourceId)", statement: "the source")
            guard let row = source.rows.first else { return nil }
            let (owner, time) = try row.decode((Int64?, Double).self)
            object = owner
            through = time
        }
        guard let object, let head = try row(objects, id: object, on: connection) else { return nil }
        func list(_ table: Table) throws -> String {
            "[" + (try rows(table, .object(object, through: through), on: connection)).joined(separator: ", ") + "]"
        }
        return String(head.dropLast()) + ", \"diasources\" : \(try list(sources)), \"diaforcedsources\" : \(try list(forcedSources))}"
    }
}
