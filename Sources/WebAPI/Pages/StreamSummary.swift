import Postgres
import TOMDatabase

/// The quantities of the TOM's diagnostic graphs, from running sums that grow with the message
/// table instead of re-reading it: `gen_elasticc2_brokercompleteness` (per classifier and
/// night of sending, the fraction of sent alerts with at least one answer) and
/// `gen_elasticc2_brokerdelaygraphs_pg` (per classifier, histograms of log10 of three delays,
/// clipped to 1 s … 10⁶ s, in 0.25 dex buckets: descingest − alertsent, msghdr − alertsent,
/// descingest − msghdr). Nights are UTC days of `alertsenttimestamp`.
public enum StreamSummary {
    public static let delays = ["full", "broker", "tom"]
    /// The TOM's bucket edges: 0 … 6.25 in 0.25 steps (25 buckets, the last one "≥ 6").
    public static let bucketCount = 25
    public static let bucketWidth = 0.25
    /// Messages younger than `settleSeconds` (default 120) are left for the next refresh: an
    /// alert is marked sent only after Kafka acknowledged it, so its answer can be stored
    /// first, and identities of concurrent transactions commit out of order.
    public static let defaultSettleSeconds = 120

    static let lockKey: Int64 = 0x4553_5355_4D4D_4152  // "ESSUMMAR"

    /// Adds the messages stored since the last refresh to the sums, at most `limit` message ids
    /// at a time; returns how many ids it went through (0: nothing new). One refresher at a
    /// time (an advisory lock); the others return at once.
    @discardableResult
    public static func refresh(settleSeconds: Int = defaultSettleSeconds, limit: Int64 = 2_000_000, on connection: PostgresConnection) throws -> Int {
        try connection.transaction {
            // JIT costs more than it saves here; a large first catch-up runs long either way.
            try connection.query("SET LOCAL jit = off", statement: "summary settings")
            guard
                try connection.query("SELECT pg_try_advisory_xact_lock(\(lockKey))", statement: "lock the summary").single(Bool.self)
            else { return 0 }
            try connection.query(
                "INSERT INTO \(unescaped: OwnTables.summaryProgress) (name, summarized_through) VALUES ('broker messages', 0) ON CONFLICT DO NOTHING",
                statement: "summary progress row")
            let bounds = try connection.query(
                """
                SELECT p.summarized_through,
                       coalesce((SELECT max(brokermessage_id) FROM elasticc2_brokermessage
                                  WHERE brokermessage_id > p.summarized_through
                                    AND descingesttimestamp < now() - make_interval(secs => \(Double(settleSeconds)))), p.summarized_through)
                  FROM \(unescaped: OwnTables.summaryProgress) p WHERE p.name = 'broker messages' FOR UPDATE
                """, statement: "summary bounds")
            let (from, last) = try bounds.single((Int64, Int64).self)
            let through = min(last, from + limit)
            guard through > from else { return 0 }
            try connection.query(
                """
                CREATE TEMP TABLE summary_batch ON COMMIT DROP AS
                SELECT m.brokermessage_id, m.classifier_id, m.alert_id, (a.alertsenttimestamp AT TIME ZONE 'UTC')::date AS night,
                       extract(epoch FROM m.descingesttimestamp - a.alertsenttimestamp)::double precision AS full_delay,
                       extract(epoch FROM m.msghdrtimestamp - a.alertsenttimestamp)::double precision AS broker_delay,
                       extract(epoch FROM m.descingesttimestamp - m.msghdrtimestamp)::double precision AS tom_delay
                  FROM elasticc2_brokermessage m JOIN elasticc2_ppdbalert a ON a.alert_id = m.alert_id
                 WHERE m.brokermessage_id > \(from) AND m.brokermessage_id <= \(through) AND a.alertsenttimestamp IS NOT NULL
                """, statement: "summary batch")
            // An alert counts once per classifier: new pairs only (none in earlier messages).
            try connection.query(
                """
                INSERT INTO \(unescaped: OwnTables.nightlyAnswers) AS s (classifier_id, night, answered_alerts, messages)
                SELECT b.classifier_id, b.night,
                       count(DISTINCT b.alert_id) FILTER (WHERE NOT EXISTS (
                           SELECT 1 FROM elasticc2_brokermessage o
                            WHERE o.alert_id = b.alert_id AND o.classifier_id = b.classifier_id AND o.brokermessage_id <= \(from))),
                       count(*)
                  FROM summary_batch b GROUP BY 1, 2
                ON CONFLICT (classifier_id, night) DO UPDATE
                   SET answered_alerts = s.answered_alerts + EXCLUDED.answered_alerts, messages = s.messages + EXCLUDED.messages
                """, statement: "add answered alerts")
            try connection.query(
                """
                INSERT INTO \(unescaped: OwnTables.nightlyDelays) AS s (classifier_id, night, delay, bucket, messages)
                SELECT b.classifier_id, b.night, d.delay,
                       least(width_bucket(log(greatest(least(d.seconds, 1e6::float8), 1::float8)), 0::float8, 6.25::float8, 25), 25)::smallint,
                       count(*)
                  FROM summary_batch b
                 CROSS JOIN LATERAL (VALUES ('full', b.full_delay), ('broker', b.broker_delay), ('tom', b.tom_delay)) AS d(delay, seconds)
                 WHERE d.seconds IS NOT NULL
                 GROUP BY 1, 2, 3, 4
                ON CONFLICT (classifier_id, night, delay, bucket) DO UPDATE SET messages = s.messages + EXCLUDED.messages
                """, statement: "add delays")
            try connection.query(
                """
                UPDATE \(unescaped: OwnTables.summaryProgress) SET summarized_through = \(through), updated_at = now()
                 WHERE name = 'broker messages'
                """, statement: "advance the summary")
            return Int(through - from)
        }
    }

    /// A classifier as the pages name it.
    public struct Classifier: Sendable, Equatable {
        public var id: Int64
        public var name: String
        public var messages: Int64
    }

    public static func classifiers(on connection: PostgresConnection) throws -> [Classifier] {
        let rows = try connection.query(
            """
            SELECT c.classifier_id, concat_ws(' ', c.brokername, c.brokerversion, c.classifiername, c.classifierparams),
                   coalesce((SELECT sum(messages) FROM \(unescaped: OwnTables.nightlyAnswers) s WHERE s.classifier_id = c.classifier_id), 0)
              FROM elasticc2_brokerclassifier c
             ORDER BY c.brokername, c.brokerversion, c.classifiername, c.classifierparams
            """, statement: "classifiers")
        return try rows.rows.map { row in
            let (id, name, messages) = try row.decode((Int64, String, Int64).self)
            return Classifier(id: id, name: name, messages: messages)
        }
    }

    /// Alerts sent per UTC night.
    public static func alertsPerNight(on connection: PostgresConnection) throws -> [(night: String, alerts: Int64)] {
        let rows = try connection.query(
            """
            SELECT to_char((alertsenttimestamp AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD'), count(*)
              FROM elasticc2_ppdbalert WHERE alertsenttimestamp IS NOT NULL GROUP BY 1 ORDER BY 1
            """, statement: "alerts per night")
        return try rows.rows.map { try $0.decode((String, Int64).self) }
    }

    /// Per classifier, per night: alerts answered (from the sums).
    public static func answered(on connection: PostgresConnection) throws -> [Int64: [String: Int64]] {
        let rows = try connection.query(
            "SELECT classifier_id, to_char(night, 'YYYY-MM-DD'), answered_alerts FROM \(unescaped: OwnTables.nightlyAnswers)",
            statement: "answered alerts")
        var answered: [Int64: [String: Int64]] = [:]
        for row in rows.rows {
            let (classifier, night, alerts) = try row.decode((Int64, String, Int64).self)
            answered[classifier, default: [:]][night] = alerts
        }
        return answered
    }

    /// Per classifier and delay, messages per bucket (1 … 25) over all nights.
    public static func delayHistograms(on connection: PostgresConnection) throws -> [Int64: [String: [Int64]]] {
        let rows = try connection.query(
            "SELECT classifier_id, delay, bucket, sum(messages) FROM \(unescaped: OwnTables.nightlyDelays) GROUP BY 1, 2, 3",
            statement: "delay histograms")
        var histograms: [Int64: [String: [Int64]]] = [:]
        for row in rows.rows {
            let (classifier, delay, bucket, messages) = try row.decode((Int64, String, Int, Int64).self)
            var counts = histograms[classifier]?[delay] ?? Array(repeating: 0, count: bucketCount)
            if (1...bucketCount).contains(bucket) { counts[bucket - 1] += messages }
            histograms[classifier, default: [:]][delay] = counts
        }
        return histograms
    }

    /// The TOM's admin summary: rows of each table (sent and unsent alerts apart), and objects
    /// by true type.
    public static func adminCounts(
        on connection: PostgresConnection
    ) throws -> (
        tables: [(name: String, rows: Int64)], sent: Int64, unsent: Int64,
        types: [(gentype: Int64?, classId: Int64?, description: String?, objects: Int64)]
    ) {
        let tables = [
            ("PPDBDiaObject", "elasticc2_ppdbdiaobject"), ("PPDBDiaSource", "elasticc2_ppdbdiasource"),
            ("PPDBDiaForcedSource", "elasticc2_ppdbdiaforcedsource"), ("DiaObjectTruth", "elasticc2_diaobjecttruth"),
            ("PPDBAlert", "elasticc2_ppdbalert"), ("DiaObject", "elasticc2_diaobject"), ("DiaSource", "elasticc2_diasource"),
            ("DiaForcedSource", "elasticc2_diaforcedsource"),
        ]
        let counts = try connection.query(
            PostgresQuery(
                unescaped: "SELECT " + tables.map { "(SELECT count(*) FROM \($0.1))" }.joined(separator: ", ")
                    + ", (SELECT count(*) FROM elasticc2_ppdbalert WHERE alertsenttimestamp IS NOT NULL)"),
            statement: "table counts")
        // One count a table, then the sent alerts: as many columns as tables, so read by position.
        guard let countRow = counts.rows.first else { throw counts.rowCountError(expected: "one row") }
        var result: [(name: String, rows: Int64)] = []
        for (index, table) in tables.enumerated() { result.append((table.0, try countRow.decode(Int64.self, at: index))) }
        let sent = try countRow.decode(Int64.self, at: tables.count)
        let alerts = result.first { $0.name == "PPDBAlert" }?.rows ?? 0
        let types = try connection.query(
            """
            SELECT t.gentype, m.classid, m.description, count(o.diaobject_id)
              FROM elasticc2_diaobject o
              LEFT JOIN elasticc2_diaobjecttruth t ON t.diaobject_id = o.diaobject_id
              LEFT JOIN elasticc2_gentypeofclassid m ON m.gentype = t.gentype
             GROUP BY t.gentype, m.classid, m.description ORDER BY m.classid, t.gentype
            """, statement: "objects by type")
        let byType = try types.rows.map { row in
            let (gentype, classId, description, objects) = try row.decode((Int64?, Int64?, String?, Int64).self)
            return (gentype: gentype, classId: classId, description: description, objects: objects)
        }
        return (result, sent, alerts - sent, byType)
    }
}
