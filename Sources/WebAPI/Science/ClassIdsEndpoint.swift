import JSON
import Postgres

/// `elasticc2/classids`: the taxonomy, by class id in ascending numeric order, as the TOM's
/// pandas `to_json(orient='index')` writes it: each class id of `elasticc2_classidofgentype`
/// with its match flags, description and the gentypes it stands for (in the table's order),
/// then those only `elasticc2_gentypeofclassid` knows (the taxonomy's inner nodes), with no
/// gentypes and every flag false.
public enum ClassIdsEndpoint {
    public static func answer(on connection: PostgresConnection) throws -> [UInt8] {
        let rows = try connection.query(
            """
            SELECT classid, bool_or(exactmatch), bool_or(categorymatch), bool_or(broadmatch), bool_or(generalmatch),
                   (array_agg(description ORDER BY id))[1], array_agg(gentype ORDER BY id)::text
              FROM elasticc2_classidofgentype GROUP BY classid
            UNION ALL
            SELECT classid, false, false, false, false, (array_agg(description ORDER BY id))[array_length(array_agg(id), 1)], '{}'
              FROM elasticc2_gentypeofclassid g
             WHERE NOT EXISTS (SELECT 1 FROM elasticc2_classidofgentype c WHERE c.classid = g.classid)
             GROUP BY classid
             ORDER BY 1
            """, statement: "class ids")
        var writer = JSONWriter(reservingCapacity: 64 + rows.rowCount * 160)
        writer.beginObject()
        for row in rows.rows {
            let (classId, exact, category, broad, general, description, gentypes) = try row.decode(
                (Int64, Bool, Bool, Bool, Bool, String, String).self)
            writer.key(String(classId))
            writer.beginObject()
            for (name, flag) in [("exactmatch", exact), ("categorymatch", category), ("broadmatch", broad), ("generalmatch", general)] {
                writer.key(name)
                writer.bool(flag)
            }
            writer.key("description")
            writer.string(description)
            writer.key("gentype")
            writer.beginArray()
            for gentype in gentypes.dropFirst().dropLast().split(separator: ",").compactMap({ Int64($0) }) { writer.int(gentype) }
            writer.endArray()
            writer.endObject()
        }
        writer.endObject()
        return writer.bytes
    }
}
