import Foundation
import Postgres

/// The TOM's diagnostic pages (`brokercompleteness`, `brokertimedelays`, `alertstreamhists`,
/// `classifiers`, `adminsummary`) as self-contained HTML: inline SVG charts and the numbers
/// beside them in tables (each number marked `data-key`, so a test or a script can read the
/// page). Nothing is fetched from elsewhere: observatory networks are often offline.
public enum DiagnosticPages {
    public static let links: [(path: String, title: String)] = [
        ("/elasticc2/brokercompleteness", "Broker completeness"), ("/elasticc2/brokertimedelays", "Broker time delays"),
        ("/elasticc2/alertstreamhists", "Alerts sent per night"), ("/elasticc2/classifiers", "Classifiers"),
        ("/elasticc2/adminsummary", "Admin summary"), ("/elasticc2/confmatrixlatest", "Confusion matrices"),
    ]

    public static func index() -> String {
        page(
            title: "ELAsTiCC2 stream", body: "<ul>" + links.map { "<li><a href=\"\($0.path)\">\(escape($0.title))</a></li>" }.joined() + "</ul>")
    }

    /// Per classifier, per simulated night and per night of sending: the fraction of sent alerts it answered.
    public static func completeness(settleSeconds: Int = StreamSummary.defaultSettleSeconds, on connection: PostgresConnection) throws -> String {
        try StreamSummary.refresh(settleSeconds: settleSeconds, limit: StreamSummary.pageViewLimit, on: connection)
        let nights = try StreamSummary.sentAlerts(on: connection)
        var answered: [StreamSummary.NightKind: [Int64: [String: Int64]]] = [:]
        for kind in StreamSummary.NightKind.allCases { answered[kind] = try StreamSummary.answered(per: kind, on: connection) }
        var body = "<p>Fraction of the alerts sent that the classifier answered at least once, as the TOM's "
        body += "<code>gen_elasticc2_brokercompleteness</code> counts it, per simulated night (MJD of the alert's source) and per "
        body += "night of sending (UTC date). \(summaryNote(settleSeconds, on: connection))</p>"
        for classifier in try StreamSummary.classifiers(on: connection) {
            body += "<section><h2>\(escape(classifier.name)) <small>(classifier \(classifier.id))</small></h2><div class=\"row\">"
            var tables = ""
            for (kind, xLabel, keyPrefix) in [
                (StreamSummary.NightKind.simulated, "Simulated night (MJD of the alert's source)", "answered-mjd"),
                (.sending, "Night alerts were sent (UTC date)", "answered"),
            ] {
                let perNight = answered[kind]?[classifier.id] ?? [:]
                let rows = nights[kind] ?? []
                let bars = rows.map { night in
                    (label: night.night, value: night.alerts > 0 ? Double(perNight[night.night] ?? 0) / Double(night.alerts) : 0)
                }
                var chart = BarChart(
                    title: "\(classifier.name) (\(classifier.id))", xLabel: xLabel, yLabel: "Fraction of alerts answered", bars: bars,
                    series: "answered ÷ sent", yMaximum: 1)
                chart.width = 480
                body += chart.svg
                tables += "<table><tr><th>\(kind == .simulated ? "simulated night (MJD)" : "night sent (UTC)")</th><th>alerts sent</th>"
                tables += "<th>answered</th><th>fraction</th></tr>"
                for night in rows {
                    let count = perNight[night.night] ?? 0
                    let key = "\(classifier.id)/\(night.night)"
                    tables += "<tr><td>\(night.night)</td><td>\(night.alerts)</td><td data-key=\"\(keyPrefix)/\(key)\">\(count)</td>"
                    tables += "<td>\(String(format: "%.3f", night.alerts > 0 ? Double(count) / Double(night.alerts) : 0))</td></tr>"
                }
                tables += "</table>"
            }
            body += "</div><div class=\"row\">\(tables)</div></section>"
        }
        return page(title: "Broker completeness", body: body)
    }

    static let delayTitles = [
        ("full", "Alert sent → stored here (descingest − alertsent)"), ("broker", "Broker delay (msghdr − alertsent)"),
        ("tom", "Our delay (descingest − msghdr)"),
    ]

    /// A delay in seconds as people read it: milliseconds below one second.
    static func seconds(_ value: Double?) -> String {
        guard let value else { return "" }
        return value < 1 ? String(format: "%.3g ms", value * 1000) : String(format: "%.3g s", value)
    }

    /// Per broker (its classifiers together) and per classifier: histograms of the three
    /// delays, log10 of seconds from 1 ms, with percentiles; per simulated night in a table.
    public static func timeDelays(settleSeconds: Int = StreamSummary.defaultSettleSeconds, on connection: PostgresConnection) throws -> String {
        try StreamSummary.refresh(settleSeconds: settleSeconds, limit: StreamSummary.pageViewLimit, on: connection)
        let histograms = try StreamSummary.delayHistograms(on: connection)
        let classifiers = try StreamSummary.classifiers(on: connection)
        var body = "<p>Histograms of log<sub>10</sub> of each delay in seconds, 1 ms … 10<sup>6</sup> s in 0.1 dex bins (the first and "
        body += "last bins hold what lies beyond), as the TOM's <code>gen_elasticc2_brokerdelaygraphs_pg</code> makes them from 1 s in "
        body += "0.25 dex bins. Percentiles are read from the bins, to 0.1 dex. \(summaryNote(settleSeconds, on: connection))</p>"
        let labels = (0..<StreamSummary.bucketCount).map {
            String(format: "%.1f", StreamSummary.lowestLog10 + Double($0) * StreamSummary.bucketWidth)
        }
        let brokers = Dictionary(grouping: classifiers, by: \.broker).sorted { $0.key < $1.key }
        var groups: [(heading: String, key: String, members: [Int64])] = brokers.map { broker, members in
            (
                "Broker \(broker) <small>(\(members.count) classifier\(members.count == 1 ? "" : "s") together)</small>", "broker/\(broker)",
                members.map(\.id)
            )
        }
        groups += classifiers.map { ("\(escape($0.name)) <small>(classifier \($0.id))</small>", "\($0.id)", [$0.id]) }
        let simulatedNights = histograms.simulatedNights
        for group in groups {
            body += "<section><h2>\(group.heading)</h2><div class=\"row\">"
            var table = "<table><tr><th>delay</th><th>messages</th><th>median</th><th>90 %</th><th>99 %</th></tr>"
            for (delay, title) in delayTitles {
                let counts = histograms.histogram(group.members, delay)
                var chart = BarChart(
                    title: title, xLabel: "log10(Δt / s), bin start", yLabel: "Messages", bars: zip(labels, counts).map { ($0, Double($1)) },
                    series: "messages per 0.1 dex")
                chart.width = 420
                chart.labelEvery = 10
                body += chart.svg
                table += "<tr><td>\(escape(title))</td><td data-key=\"delay/\(group.key)/\(delay)\">\(counts.reduce(0, +))</td>"
                for (name, fraction) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)] {
                    table += "<td data-key=\"\(name)/\(group.key)/\(delay)\">\(seconds(StreamSummary.percentile(counts, fraction)))</td>"
                }
                table += "</tr>"
            }
            table += "</table><table><tr><th>simulated night (MJD)</th><th>messages</th><th>median, sent → stored</th><th>99 %</th></tr>"
            for night in simulatedNights {
                let counts = histograms.histogram(group.members, "full", night: night)
                let total = counts.reduce(0, +)
                guard total > 0 else { continue }
                table += "<tr><td>\(night)</td><td data-key=\"night/\(group.key)/\(night)\">\(total)</td>"
                table += "<td>\(seconds(StreamSummary.percentile(counts, 0.5)))</td><td>\(seconds(StreamSummary.percentile(counts, 0.99)))</td></tr>"
            }
            body += "</div><div class=\"row\">" + table + "</table></div></section>"
        }
        return page(title: "Broker time delays", body: body)
    }

    /// Alerts sent per simulated night and per night of sending (the TOM draws them per hour of each day).
    public static func alertStream(on connection: PostgresConnection) throws -> String {
        let sent = try StreamSummary.sentAlerts(on: connection)
        var body = ""
        for (kind, title, xLabel, keyPrefix) in [
            (StreamSummary.NightKind.simulated, "simulated night", "Simulated night (MJD of the alert's source)", "sent-mjd"),
            (.sending, "night of sending", "Night sent (UTC date)", "sent"),
        ] {
            let nights = sent[kind] ?? []
            let chart = BarChart(
                title: "Alerts sent per \(title) (\(nights.reduce(0) { $0 + $1.alerts }) in all)", xLabel: xLabel, yLabel: "Alerts sent",
                bars: nights.map { ($0.night, Double($0.alerts)) }, series: "alerts sent")
            body += chart.svg + "<table><tr><th>\(escape(title))</th><th>alerts sent</th></tr>"
            for night in nights { body += "<tr><td>\(night.night)</td><td data-key=\"\(keyPrefix)/\(night.night)\">\(night.alerts)</td></tr>" }
            body += "</table>"
        }
        return page(title: "Alerts sent per night", body: body)
    }

    /// The known classifiers, with the messages stored from each.
    public static func classifiers(settleSeconds: Int = StreamSummary.defaultSettleSeconds, on connection: PostgresConnection) throws -> String {
        try StreamSummary.refresh(settleSeconds: settleSeconds, limit: StreamSummary.pageViewLimit, on: connection)
        let rows = try connection.query(
            """
            SELECT classifier_id, brokername, brokerversion, classifiername, classifierparams FROM elasticc2_brokerclassifier
             ORDER BY brokername, brokerversion, classifiername, classifierparams
            """, statement: "classifier list")
        let messages = Dictionary(uniqueKeysWithValues: try StreamSummary.classifiers(on: connection).map { ($0.id, $0.messages) })
        var body = "<p>\(summaryNote(settleSeconds, on: connection))</p><table><tr><th>id</th><th>broker</th><th>version</th><th>classifier</th>"
        body += "<th>parameters</th><th>messages</th></tr>"
        for row in rows.rows {
            let (id, broker, version, classifier, parameters) = try row.decode((Int64, String?, String?, String?, String?).self)
            body += "<tr><td>\(id)</td>"
            for text in [broker, version, classifier, parameters] { body += "<td>\(escape(text ?? ""))</td>" }
            body += "<td data-key=\"messages/\(id)\">\(messages[id] ?? 0)</td></tr>"
        }
        return page(title: "Classifiers", body: body + "</table>")
    }

    /// Table counts and objects by true type.
    public static func adminSummary(on connection: PostgresConnection) throws -> String {
        let counts = try StreamSummary.adminCounts(on: connection)
        var body = "<h2>Tables</h2><table><tr><th>table</th><th>rows</th></tr>"
        for table in counts.tables { body += "<tr><td>\(table.name)</td><td data-key=\"rows/\(table.name)\">\(table.rows)</td></tr>" }
        body += "<tr><td>PPDBAlert sent</td><td data-key=\"alerts/sent\">\(counts.sent)</td></tr>"
        body += "<tr><td>PPDBAlert not sent</td><td data-key=\"alerts/unsent\">\(counts.unsent)</td></tr></table>"
        body += "<h2>Objects by true type</h2><table><tr><th>gentype</th><th>class id</th><th>description</th><th>objects</th></tr>"
        for type in counts.types {
            let gentype = type.gentype.map(String.init) ?? "none"
            body += "<tr><td>\(gentype)</td><td>\(type.classId.map(String.init) ?? "")</td><td>\(escape(type.description ?? ""))</td>"
            body += "<td data-key=\"objects/\(gentype)\">\(type.objects)</td></tr>"
        }
        return page(title: "Admin summary", body: body + "</table>")
    }

    static func summaryNote(_ settleSeconds: Int, on connection: PostgresConnection) -> String {
        let through =
            (try? connection.query(
                "SELECT to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM elasticcstream_summary_progress",
                statement: "summary time"
            ).rows.first?.decode(String?.self, at: 0)) ?? nil
        return "Messages are counted once they are \(settleSeconds) s old; counted through \(through ?? "nothing yet") UTC."
    }

    static func escape(_ text: String) -> String { HTML.escape(text) }

    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title)) — ElasticcStream</title>
        <style>
        body { font-family: "DejaVu Sans", sans-serif; margin: 1.5em; color: #222; }
        nav a { margin-right: 1em; }
        table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
        td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
        th { background: #f0f0f0; }
        .row { display: flex; flex-wrap: wrap; gap: 8px; }
        small { color: #666; font-weight: normal; }
        </style></head>
        <body><nav>\(links.map { "<a href=\"\($0.path)\">\(escape($0.title))</a>" }.joined())</nav>
        <h1>\(escape(title))</h1>
        \(body)
        </body></html>
        """
    }
}
