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
            let shown = try (0..<min(unknown.rowCount, 20)).map { String(try unknown.value($0, 0, as: Int64.self)) }
            throw APIParameterError(
                "\(parameter): unknown object id\(unknown.rowCount == 1 ? "" : "s") \(shown.joined(separator: ", "))\(unknown.rowCount > 20 ? ", …" : "")"
            )
        }
    }
}
