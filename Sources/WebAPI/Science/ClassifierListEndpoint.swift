import JSON
import Postgres

/// `elasticc2/classifiers_json`: every broker classifier by id, as the TOM's pandas
/// `to_json(orient='index')` writes them.
public enum ClassifierListEndpoint {
    public static func answer(on connection: PostgresConnection) throws -> [UInt8] {
        let rows = try connection.query(
            """
            SELECT classifier_id, brokername, brokerversion, classifiername, classifierparams
              FROM elasticc2_brokerclassifier ORDER BY classifier_id
            """, statement: "classifiers")
        var writer = JSONWriter(reservingCapacity: 64 + rows.rowCount * 160)
        writer.beginObject()
        for row in 0..<rows.rowCount {
            writer.key(String(try rows.value(row, 0, as: Int64.self)))
            writer.beginObject()
            for (column, name) in ["brokername", "brokerversion", "classifiername", "classifierparams"].enumerated() {
                writer.key(name)
                writer.optionalString(try rows.optional(row, column + 1, as: String.self))
            }
            writer.endObject()
        }
        writer.endObject()
        return writer.bytes
    }
}
