import Foundation
import Postgres
import TOMDatabase

/// The quantities of the TOM's diagnostic graphs, from running sums that grow with the message
/// table instead of re-reading it: `gen_elasticc2_brokercompleteness` (per classifier and
/// night, the fraction of sent alerts with at least one answer) and
/// `gen_elasticc2_brokerdelaygraphs_pg` (per classifier, histograms of log10 of three delays:
/// descingest − alertsent, msghdr − alertsent, descingest − msghdr). Nights are both the UTC
/// day of `alertsenttimestamp` and the simulated night (the MJD of the alert's source).
public enum StreamSummary {
    public static let delays = ["full", "broker", "tom"]
    /// log10 buckets from 1 ms to 10⁶ s, 0.1 dex wide (the TOM's start at 1 s, 0.25 dex wide,
    /// where every delay of a fast pipeline falls in the first); the first and last also hold
    /// what lies beyond.
    public static let bucketCount = 90
    public static let bucketWidth = 0.1
    public static let lowestLog10 = -3.0
    /// Messages younger than `settleSeconds` (default 120) are left for the next refresh: an
    /// alert is marked sent only after Kafka acknowledged it, so its answer can be stored
    /// first, and identities of concurrent transactions commit out of order.
    public static let defaultSettleSeconds = 120

    static let lockKey: Int64 = 0x4553_5355_4D4D_4152  // "ESSUMMAR"

    /// Messages a page view sums itself (about 0.2 s of work): the background refresher takes
    /// the bulk, so a view during a night's ingest stays quick (200,000 took it to 3–9 s).
    public static let pageViewLimit: Int64 = 20_000

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
            let from = try connection.query(
                "SELECT summarized_through FROM \(unescaped: OwnTables.summaryProgress) WHERE name = 'broker messages' FOR UPDATE",
                statement: "summary progress"
            ).single(Int64.self)
            let cutoff = "now() - make_interval(secs => \(Double(settleSeconds)))"
            // The newest settled message, looked for among the last settled ones by ingest time
            // (ids grow with it): the exact question, the largest settled id, walks back through
            // every unsettled message first, and during a night's ingest those are many (README,
            // "The whole night"). Where ids do not follow time (a restored database), that finds
            // nothing new, and the exact question is asked.
            var last = try connection.query(
                """
                SELECT coalesce(max(brokermessage_id), \(from)) FROM (
                    SELECT brokermessage_id FROM elasticc2_brokermessage WHERE descingesttimestamp < \(unescaped: cutoff)
                     ORDER BY descingesttimestamp DESC LIMIT 10000) recent
                 WHERE brokermessage_id > \(from)
                """, statement: "summary bound, recent"
            ).single(Int64.self)
            if last <= from {
                last = try connection.query(
                    """
                    SELECT coalesce(max(brokermessage_id), \(from)) FROM elasticc2_brokermessage
                     WHERE brokermessage_id > \(from) AND descingesttimestamp < \(unescaped: cutoff)
                    """, statement: "summary bound"
                ).single(Int64.self)
            }
            let through = min(last, from + limit)
            guard through > from else { return 0 }
            try connection.query(
                """
                CREATE TEMP TABLE summary_batch ON COMMIT DROP AS
                WITH batch AS MATERIALIZED (
                    SELECT m.brokermessage_id, m.classifier_id, m.alert_id, a.alertsenttimestamp, a.diaobject_id, s.midpointtai,
                           \(unescaped: ConfusionSums.predictedClass("m")) AS predicted_classid, m.descingesttimestamp, m.msghdrtimestamp
                      FROM elasticc2_brokermessage m JOIN elasticc2_ppdbalert a ON a.alert_id = m.alert_id
                      LEFT JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
                     WHERE m.brokermessage_id > \(from) AND m.brokermessage_id <= \(through))
                SELECT brokermessage_id, classifier_id, alert_id, (alertsenttimestamp AT TIME ZONE 'UTC')::date AS night,
                       coalesce(floor(midpointtai)::integer, -1) AS sim_night, diaobject_id, midpointtai AS source_time, predicted_classid,
                       extract(epoch FROM descingesttimestamp - alertsenttimestamp)::double precision AS full_delay,
                       extract(epoch FROM msghdrtimestamp - alertsenttimestamp)::double precision AS broker_delay,
                       extract(epoch FROM descingesttimestamp - msghdrtimestamp)::double precision AS tom_delay
                  FROM batch
                 -- Outside the join: planned with statistics from before a night's send (every
                 -- alert unsent), this filter made ppdbalert look empty, and the planner drove a
                 -- nested loop from it that ran for minutes over 10^6 messages.
                 WHERE alertsenttimestamp IS NOT NULL
                """, statement: "summary batch")
            // An alert counts once per classifier: new pairs only (none in earlier messages).
            // The earlier pairs are read once per alert of the batch, not once per message: a
            // probe per message read every message of its alert, each time.
            try connection.query(
                """
                INSERT INTO \(unescaped: OwnTables.nightlyAnswers) AS s (classifier_id, night, sim_night, answered_alerts, messages)
                SELECT b.classifier_id, b.night, b.sim_night, count(DISTINCT b.alert_id) FILTER (WHERE earlier.alert_id IS NULL), count(*)
                  FROM summary_batch b
                  LEFT JOIN (SELECT DISTINCT o.alert_id, o.classifier_id
                               FROM (SELECT DISTINCT alert_id FROM summary_batch) batch_alerts
                               JOIN elasticc2_brokermessage o ON o.alert_id = batch_alerts.alert_id AND o.brokermessage_id <= \(from)) earlier
                    ON earlier.alert_id = b.alert_id AND earlier.classifier_id = b.classifier_id
                 GROUP BY 1, 2, 3
                ON CONFLICT (classifier_id, night, sim_night) DO UPDATE
                   SET answered_alerts = s.answered_alerts + EXCLUDED.answered_alerts, messages = s.messages + EXCLUDED.messages
                """, statement: "add answered alerts")
            try connection.query(
                """
                INSERT INTO \(unescaped: OwnTables.nightlyDelays) AS s (classifier_id, night, sim_night, delay, bucket, messages)
                SELECT b.classifier_id, b.night, b.sim_night, d.delay,
                       least(greatest(width_bucket(log(greatest(d.seconds, 1e-3::float8)), \(lowestLog10)::float8,
                                                   \(lowestLog10 + bucketWidth * Double(bucketCount))::float8, \(bucketCount)), 1), \(bucketCount))::smallint,
                       count(*)
                  FROM summary_batch b
                 CROSS JOIN LATERAL (VALUES ('full', b.full_delay), ('broker', b.broker_delay), ('tom', b.tom_delay)) AS d(delay, seconds)
                 WHERE d.seconds IS NOT NULL
                 GROUP BY 1, 2, 3, 4, 5
                ON CONFLICT (classifier_id, night, sim_night, delay, bucket) DO UPDATE SET messages = s.messages + EXCLUDED.messages
                """, statement: "add delays")
            try ConfusionSums.add(batch: "summary_batch", on: connection)
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
        public var broker: String
    }

    public static func classifiers(on connection: PostgresConnection) throws -> [Classifier] {
        let rows = try connection.query(
            """
            SELECT c.classifier_id, concat_ws(' ', c.brokername, c.brokerversion, c.classifiername, c.classifierparams), coalesce(c.brokername, ''),
                   coalesce((SELECT sum(messages) FROM \(unescaped: OwnTables.nightlyAnswers) s WHERE s.classifier_id = c.classifier_id), 0)
              FROM elasticc2_brokerclassifier c
             ORDER BY c.brokername, c.brokerversion, c.classifiername, c.classifierparams
            """, statement: "classifiers")
        return try rows.rows.map { row in
            let (id, name, broker, messages) = try row.decode((Int64, String, String, Int64).self)
            return Classifier(id: id, name: name, messages: messages, broker: broker)
        }
    }

    /// How a night is told: the UTC day alerts were sent, or the simulated night (MJD of the source).
    public enum NightKind: String, Sendable, CaseIterable {
        case sending
        case simulated

        /// The column of the sums, spelled as the pages label it.
        var sumsColumn: String { self == .sending ? "to_char(night, 'YYYY-MM-DD')" : "sim_night::text" }
    }

    /// Alerts sent per night of each kind, both from one pass over the alerts: the UTC day of
    /// sending, and the simulated night (the floored MJD of each alert's source; -1: none).
    public static func sentAlerts(on connection: PostgresConnection) throws -> [NightKind: [(night: String, alerts: Int64)]] {
        let rows = try connection.query(
            """
            SELECT to_char((a.alertsenttimestamp AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD'), coalesce(floor(s.midpointtai)::integer, -1), count(*)
              FROM elasticc2_ppdbalert a LEFT JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
             WHERE a.alertsenttimestamp IS NOT NULL
             GROUP BY GROUPING SETS ((1), (2)) ORDER BY 2, 1
            """, statement: "alerts sent per night")
        var nights: [NightKind: [(night: String, alerts: Int64)]] = [.sending: [], .simulated: []]
        for row in rows.rows {
            let (sendingDay, simulatedNight, alerts) = try row.decode((String?, Int64?, Int64).self)
            if let sendingDay { nights[.sending, default: []].append((sendingDay, alerts)) }
            if let simulatedNight { nights[.simulated, default: []].append((String(simulatedNight), alerts)) }
        }
        return nights
    }

    /// Per classifier, per night: alerts answered (from the sums).
    public static func answered(per kind: NightKind = .sending, on connection: PostgresConnection) throws -> [Int64: [String: Int64]] {
        let rows = try connection.query(
            """
            SELECT classifier_id, \(unescaped: kind.sumsColumn), sum(answered_alerts)
              FROM \(unescaped: OwnTables.nightlyAnswers) GROUP BY 1, 2
            """, statement: "answered alerts")
        var answered: [Int64: [String: Int64]] = [:]
        for row in rows.rows {
            let (classifier, night, alerts) = try row.decode((Int64, String, Int64).self)
            answered[classifier, default: [:]][night] = alerts
        }
        return answered
    }

    /// Messages per delay bucket (1 … `bucketCount`), per classifier, delay and simulated night.
    public struct DelayHistograms: Sendable {
        /// classifier → delay → simulated night → counts per bucket.
        public var counts: [Int64: [String: [String: [Int64]]]] = [:]

        /// Summed over the given classifiers and nights (nil: every night).
        public func histogram(_ classifiers: [Int64], _ delay: String, night: String? = nil) -> [Int64] {
            var total = Array(repeating: Int64(0), count: StreamSummary.bucketCount)
            for classifier in classifiers {
                for (simulatedNight, counts) in self.counts[classifier]?[delay] ?? [:] where night == nil || night == simulatedNight {
                    for index in counts.indices { total[index] += counts[index] }
                }
            }
            return total
        }

        public var simulatedNights: [String] {
            Set(counts.values.flatMap { $0.values.flatMap(\.keys) }).sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }
        }
    }

    public static func delayHistograms(on connection: PostgresConnection) throws -> DelayHistograms {
        let rows = try connection.query(
            "SELECT classifier_id, delay, sim_night::text, bucket, sum(messages) FROM \(unescaped: OwnTables.nightlyDelays) GROUP BY 1, 2, 3, 4",
            statement: "delay histograms")
        var histograms = DelayHistograms()
        for row in rows.rows {
            let (classifier, delay, night, bucket, messages) = try row.decode((Int64, String, String, Int, Int64).self)
            guard (1...bucketCount).contains(bucket) else { continue }
            var counts = histograms.counts[classifier]?[delay]?[night] ?? Array(repeating: 0, count: bucketCount)
            counts[bucket - 1] += messages
            histograms.counts[classifier, default: [:]][delay, default: [:]][night] = counts
        }
        return histograms
    }

    /// The delay in seconds below which `fraction` of a histogram's messages lie, interpolated
    /// in log10 within its bucket (good to the bucket's 0.1 dex); nil for an empty histogram.
    public static func percentile(_ counts: [Int64], _ fraction: Double) -> Double? {
        let total = counts.reduce(0, +)
        guard total > 0 else { return nil }
        let target = fraction * Double(total)
        var below = 0.0
        for (index, count) in counts.enumerated() where count > 0 {
            if below + Double(count) >= target {
                let within = (target - below) / Double(count)
                return pow(10, lowestLog10 + bucketWidth * (Double(index) + within))
            }
            below += Double(count)
        }
        return pow(10, lowestLog10 + bucketWidth * Double(counts.count))
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
