import Postgres

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
        case page(limit: Int, offset: Int)
        case key(Int64)
        case object(Int64, through: Double?)
    }

    /// Rows as JSON objects' text: by primary key, an object's by time.
    static func rows(_ table: Table, _ selection: Selection, on connection: PostgresConnection) throws -> [String] {
        let select = "SELECT \(table.selectList) FROM \(table.table)"
        let query: PostgresQuery
        switch selection {
        case .page(let limit, let offset):
            query = "\(unescaped: select) ORDER BY \(unescaped: table.primaryKey) LIMIT \(Int64(limit)) OFFSET \(Int64(offset))"
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

    /// Rows `offset ..< offset + limit` in primary-key order, and how many there are.
    public static func page(_ table: Table, limit: Int, offset: Int, on connection: PostgresConnection) throws -> Page {
        let count = try connection.query("SELECT count(*) FROM \(unescaped: table.table)", statement: "count \(table.route)").single(Int64.self)
        return Page(count: count, rows: try rows(table, .page(limit: limit, offset: offset), on: connection))
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
