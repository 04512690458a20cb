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
        for row in rows.rows {
            let (id, broker, version, classifier, parameters) = try row.decode((Int64, String?, String?, String?, String?).self)
            writer.key(String(id))
            writer.beginObject()
            for (name, text) in [
                ("brokername", broker), ("brokerversion", version), ("classifiername", classifier), ("classifierparams", parameters),
            ] {
                writer.key(name)
                writer.optionalString(text)
            }
            writer.endObject()
        }
        writer.endObject()
        return writer.bytes
    }
}
