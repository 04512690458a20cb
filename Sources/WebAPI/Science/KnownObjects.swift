import Postgres

/// Which object ids the TOM knows (`elasticc2_diaobject`), for endpoints that refuse others.
enum KnownObjects {
    /// Refuses, naming them, ids that are not in `elasticc2_diaobject`.
    static func requireKnown(_ ids: [Int64], parameter: String, on connection: PostgresConnection) throws {
        let unknown = try connection.query(
            """
            SELECT DISTINCT w.id FROM unnest(\(ids)) AS w(id)
             WHERE NOT EXISTS (SELECT 1 FROM elasticc2_diaobject o WHERE o.diaobject_id = w.id) ORDER BY w.id
            """, statement: "find unknown objects")
        guard unknown.rowCount == 0 else {
            let shown = try unknown.rows.prefix(20).map { row in String(try row.decode(Int64.self) as Int64) }
            throw APIParameterError(
                "\(parameter): unknown object id\(unknown.rowCount == 1 ? "" : "s") \(shown.joined(separator: ", "))\(unknown.rowCount > 20 ? ", …" : "")"
            )
        }
    }
}
