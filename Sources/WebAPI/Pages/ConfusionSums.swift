import Postgres
import Scoring
import TOMDatabase

/// The TOM's `gen_confmatrix_last` kept current as messages arrive instead of recomputed:
/// per classifier, over each object's latest classified source (of a sent alert), its true
/// class against the class it was given the highest probability. Run inside
/// `StreamSummary.refresh`, on the same batch of new messages.
public enum ConfusionSums {
    /// The class a message gives the highest probability (the first of equals, as numpy's
    /// `argmax`), in SQL over the message row `message`; NULL for a message without classes.
    static func predictedClass(_ message: String) -> String {
        """
        (SELECT u.classid FROM unnest(\(message).classid, \(message).probability) WITH ORDINALITY AS u(classid, probability, position)
          WHERE u.classid IS NOT NULL ORDER BY u.probability DESC NULLS LAST, u.position LIMIT 1)
        """
    }

    /// Folds the messages of the temporary table `batch` (brokermessage_id, classifier_id,
    /// diaobject_id, source_time, predicted_classid; sent alerts only) into the latest-message
    /// table and the cell counts.
    static func add(batch: String, on connection: PostgresConnection) throws {
        // Per classifier and object, the batch's best candidate: the latest source, then the
        // latest stored message (the TOM takes any of that source's messages). Objects whose true
        // type the taxonomy does not know are left out, as the TOM's inner joins leave them;
        // a message without classes has no prediction.
        try connection.query(
            """
            CREATE TEMP TABLE confusion_batch ON COMMIT DROP AS
            SELECT DISTINCT ON (b.classifier_id, b.diaobject_id)
                   b.classifier_id, b.diaobject_id, b.source_time, b.brokermessage_id, g.classid AS true_classid, b.predicted_classid
              FROM \(unescaped: batch) b
              JOIN elasticc2_diaobjecttruth t ON t.diaobject_id = b.diaobject_id
              JOIN elasticc2_gentypeofclassid g ON g.gentype = t.gentype
             WHERE b.predicted_classid IS NOT NULL AND b.source_time IS NOT NULL
             ORDER BY b.classifier_id, b.diaobject_id, b.source_time DESC, b.brokermessage_id DESC
            """, statement: "confusion candidates")
        try connection.query(
            """
            CREATE TEMP TABLE confusion_winners ON COMMIT DROP AS
            SELECT c.*, l.true_classid AS old_true_classid, l.predicted_classid AS old_predicted_classid
              FROM confusion_batch c
              LEFT JOIN \(unescaped: OwnTables.confusionLatest) l ON l.classifier_id = c.classifier_id AND l.diaobject_id = c.diaobject_id
             WHERE l.classifier_id IS NULL OR (c.source_time, c.brokermessage_id) > (l.source_time, l.brokermessage_id)
            """, statement: "confusion winners")
        try connection.query(
            """
            INSERT INTO \(unescaped: OwnTables.confusionCounts) AS k (classifier_id, true_classid, predicted_classid, objects)
            SELECT classifier_id, true_classid, predicted_classid, sum(change)
              FROM (SELECT classifier_id, true_classid, predicted_classid, 1 AS change FROM confusion_winners
                    UNION ALL
                    SELECT classifier_id, old_true_classid, old_predicted_classid, -1 FROM confusion_winners WHERE old_true_classid IS NOT NULL) moves
             GROUP BY 1, 2, 3 HAVING sum(change) <> 0
            ON CONFLICT (classifier_id, true_classid, predicted_classid) DO UPDATE SET objects = k.objects + EXCLUDED.objects
            """, statement: "move confusion counts")
        try connection.query(
            """
            INSERT INTO \(unescaped: OwnTables.confusionLatest) AS l
                   (classifier_id, diaobject_id, source_time, brokermessage_id, true_classid, predicted_classid)
            SELECT classifier_id, diaobject_id, source_time, brokermessage_id, true_classid, predicted_classid FROM confusion_winners
            ON CONFLICT (classifier_id, diaobject_id) DO UPDATE
               SET source_time = EXCLUDED.source_time, brokermessage_id = EXCLUDED.brokermessage_id,
                   true_classid = EXCLUDED.true_classid, predicted_classid = EXCLUDED.predicted_classid
            """, statement: "latest classified sources")
    }

    /// A classifier's matrix, with how the TOM's pages name it.
    public struct ClassifierMatrix: Sendable {
        public var classifierId: Int64
        public var broker: String
        public var version: String
        public var classifier: String
        public var parameters: String
        public var matrix: ConfusionMatrix

        /// "broker version classifier params", as the TOM titles it (a missing part as "None").
        public var title: String { [broker, version, classifier, parameters].joined(separator: " ") }
    }

    /// Every classifier's matrix (or only `classifierId`'s) from the counts, in the TOM's order
    /// (broker, version, classifier, parameters); a classifier with no counted object has an empty matrix.
    public static func matrices(only classifierId: Int64? = nil, on connection: PostgresConnection) throws -> [ClassifierMatrix] {
        let taxonomy = try connection.query(
            "SELECT classid, (array_agg(description ORDER BY id))[1] FROM elasticc2_gentypeofclassid GROUP BY classid ORDER BY classid",
            statement: "class descriptions")
        let classes = try taxonomy.rows.map { row in
            let (classId, description) = try row.decode((Int64, String).self)
            return ConfusionMatrix.TaxonomyClass(id: Int(classId), description: description)
        }
        let counts = try connection.query(
            """
            SELECT classifier_id, true_classid, predicted_classid, objects FROM \(unescaped: OwnTables.confusionCounts)
             WHERE objects > 0 AND (\(classifierId)::bigint IS NULL OR classifier_id = \(classifierId))
            """, statement: "confusion counts")
        var cells: [Int64: [ConfusionMatrix.Cell]] = [:]
        for row in counts.rows {
            let (classifier, trueClass, predicted, objects) = try row.decode((Int64, Int64, Int64, Int64).self)
            cells[classifier, default: []].append(.init(trueClass: Int(trueClass), predictedClass: Int(predicted), objects: objects))
        }
        let classifiers = try connection.query(
            """
            SELECT classifier_id, brokername, brokerversion, classifiername, classifierparams FROM elasticc2_brokerclassifier
             WHERE \(classifierId)::bigint IS NULL OR classifier_id = \(classifierId)
             ORDER BY brokername, brokerversion, classifiername, classifierparams
            """, statement: "classifiers")
        return try classifiers.rows.map { row in
            let (id, broker, version, name, parameters) = try row.decode((Int64, String?, String?, String?, String?).self)
            return ClassifierMatrix(
                classifierId: id, broker: broker ?? "None", version: version ?? "None", classifier: name ?? "None",
                parameters: parameters ?? "None", matrix: ConfusionMatrix(cells: cells[id] ?? [], taxonomy: classes))
        }
    }
}
