import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import TestSupport
import Testing

@testable import WebAPI

/// The TOM's diagnostic pages, loaded in headless Chromium as a person sees them, their
/// numbers checked against SQL written here on the snapshot's end state.
@Suite("elasticc-api's diagnostic pages in headless Chromium")
struct PageTests {
    static let pages = [
        "/elasticc2/brokercompleteness", "/elasticc2/brokertimedelays", "/elasticc2/alertstreamhists", "/elasticc2/classifiers",
        "/elasticc2/adminsummary",
    ]

    static func keyed(_ result: PostgresResult, _ key: (Int) throws -> String) throws -> [String: String] {
        var values: [String: String] = [:]
        for row in 0..<result.rowCount { values[try key(row)] = result.string(row, result.columnCount - 1) ?? "" }
        return values
    }

    @Test("Each page renders (charts, axis labels, no error) and shows the numbers SQL finds; screenshots saved")
    func pagesInChromium() async throws {
        let (url, connection) = try ScienceAPITests.database()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("pages-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let (server, address) = try await TomClientTests.startServer(["--db", url, "--summary-settle", "0"], in: work)
        defer {
            if server.isRunning { kill(server.processIdentifier, SIGKILL) }
        }
        let output = try await TestEnvironment.runPython(
            script: "page_screenshots.py", arguments: ["http://\(address)", "root", "pw", work.appendingPathComponent("png").path] + Self.pages,
            input: "")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: [String: Any]])
        let classifierCount = try await connection.query("SELECT count(*) FROM elasticc2_brokerclassifier", statement: "classifiers").value(
            0, 0, as: Int.self)
        let brokerCount = try await connection.query(
            "SELECT count(DISTINCT coalesce(brokername, '')) FROM elasticc2_brokerclassifier", statement: "brokers"
        ).value(0, 0, as: Int.self)
        let expectedCharts = [2 * classifierCount, 3 * (classifierCount + brokerCount), 2, 0, 0]
        for (path, charts) in zip(Self.pages, expectedCharts) {
            let page = try #require(report[path], "\(path) not loaded")
            #expect(page["status"] as? Int == 200, "\(path)")
            #expect(page["error_text"] as? Bool == false, "\(path)")
            #expect(page["svgs"] as? Int == charts, "\(path): \(page["svgs"] ?? "")")
            #expect((page["width"] as? Int ?? 0) >= 1000 && (page["height"] as? Int ?? 0) >= 600, "\(path)")
            #expect((page["png_bytes"] as? Int ?? 0) > 10_000, "\(path): screenshot")
            #expect(FileManager.default.fileExists(atPath: page["png"] as? String ?? ""))
        }
        func keys(_ path: String) -> [String: String] { report[path]?["keys"] as? [String: String] ?? [:] }
        func labels(_ path: String) -> [String] { report[path]?["axisLabels"] as? [String] ?? [] }
        #expect(labels(Self.pages[0]).contains("Fraction of alerts answered") && labels(Self.pages[0]).contains("Night alerts were sent (UTC date)"))
        #expect(labels(Self.pages[0]).contains("Simulated night (MJD of the alert's source)"))
        #expect(labels(Self.pages[1]).contains("log10(Δt / s), bin start") && labels(Self.pages[1]).contains("messages per 0.1 dex"))
        #expect(labels(Self.pages[2]).contains("Alerts sent") && labels(Self.pages[2]).contains("Simulated night (MJD of the alert's source)"))
        func keys(_ path: String, _ prefix: String) -> [String: String] { keys(path).filter { $0.key.hasPrefix(prefix + "/") } }

        // Completeness: alerts answered per classifier and night, counted once each.
        let answered = try await connection.query(
            """
            SELECT m.classifier_id, to_char((a.alertsenttimestamp AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD'), count(DISTINCT m.alert_id)::text
              FROM elasticc2_brokermessage m JOIN elasticc2_ppdbalert a ON a.alert_id = m.alert_id
             WHERE a.alertsenttimestamp IS NOT NULL GROUP BY 1, 2
            """, statement: "answered")
        let expectedAnswered = try Self.keyed(answered) {
            "answered/\(try answered.value($0, 0, as: Int.self))/\(try answered.value($0, 1, as: String.self))"
        }
        #expect(!expectedAnswered.isEmpty)
        #expect(keys(Self.pages[0], "answered").filter { $0.value != "0" } == expectedAnswered)
        // … and per simulated night: the MJD of the alert's source, floored.
        let answeredByMJD = try await connection.query(
            """
            SELECT m.classifier_id, floor(s.midpointtai)::integer, count(DISTINCT m.alert_id)::text
              FROM elasticc2_brokermessage m JOIN elasticc2_ppdbalert a ON a.alert_id = m.alert_id
              JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
             WHERE a.alertsenttimestamp IS NOT NULL GROUP BY 1, 2
            """, statement: "answered by MJD")
        let expectedByMJD = try Self.keyed(answeredByMJD) {
            "answered-mjd/\(try answeredByMJD.value($0, 0, as: Int.self))/\(try answeredByMJD.value($0, 1, as: Int.self))"
        }
        #expect(expectedByMJD.count > expectedAnswered.count)
        #expect(keys(Self.pages[0], "answered-mjd").filter { $0.value != "0" } == expectedByMJD)
        // Delays: messages with each delay known, per classifier.
        let delays = try await connection.query(
            """
            SELECT m.classifier_id, d.name, count(*)::text
              FROM elasticc2_brokermessage m JOIN elasticc2_ppdbalert a ON a.alert_id = m.alert_id
             CROSS JOIN LATERAL (VALUES ('full', m.descingesttimestamp - a.alertsenttimestamp),
                                        ('broker', m.msghdrtimestamp - a.alertsenttimestamp),
                                        ('tom', m.descingesttimestamp - m.msghdrtimestamp)) AS d(name, delay)
             WHERE a.alertsenttimestamp IS NOT NULL AND d.delay IS NOT NULL GROUP BY 1, 2
            """, statement: "delays")
        let expectedDelays = try Self.keyed(delays) { "delay/\(try delays.value($0, 0, as: Int.self))/\(try delays.value($0, 1, as: String.self))" }
        #expect(keys(Self.pages[1], "delay").filter { $0.value != "0" && !$0.key.hasPrefix("delay/broker/") } == expectedDelays)
        // … per broker, its classifiers together; medians within the bins' 0.1 dex of SQL's exact ones.
        let brokerDelays = try await connection.query(
            """
            SELECT coalesce(c.brokername, ''), d.name, count(*)::text
              FROM elasticc2_brokermessage m JOIN elasticc2_ppdbalert a ON a.alert_id = m.alert_id
              JOIN elasticc2_brokerclassifier c ON c.classifier_id = m.classifier_id
             CROSS JOIN LATERAL (VALUES ('full', m.descingesttimestamp - a.alertsenttimestamp),
                                        ('broker', m.msghdrtimestamp - a.alertsenttimestamp),
                                        ('tom', m.descingesttimestamp - m.msghdrtimestamp)) AS d(name, delay)
             WHERE a.alertsenttimestamp IS NOT NULL AND d.delay IS NOT NULL GROUP BY 1, 2
            """, statement: "broker delays")
        #expect(
            keys(Self.pages[1], "delay/broker").filter { $0.value != "0" }
                == (try Self.keyed(brokerDelays) {
                    "delay/broker/\(try brokerDelays.value($0, 0, as: String.self))/\(try brokerDelays.value($0, 1, as: String.self))"
                }))
        let medians = try await connection.query(
            """
            SELECT m.classifier_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM m.descingesttimestamp - a.alertsenttimestamp))
              FROM elasticc2_brokermessage m JOIN elasticc2_ppdbalert a ON a.alert_id = m.alert_id
             WHERE a.alertsenttimestamp IS NOT NULL AND m.descingesttimestamp IS NOT NULL GROUP BY 1
            """, statement: "medians")
        #expect(medians.rowCount == classifierCount)
        for row in 0..<medians.rowCount {
            let (classifier, exact) = (try medians.value(row, 0, as: Int64.self), try medians.value(row, 1, as: Double.self))
            let shown = keys(Self.pages[1])["p50/\(classifier)/full"] ?? ""
            let parts = shown.split(separator: " ")
            let value = (Double(parts.first ?? "") ?? -1) * (parts.last == "ms" ? 1e-3 : 1)
            #expect(value > 0 && abs(log10(value) - log10(max(exact, 1e-3))) <= 0.1 + 1e-9, "classifier \(classifier): \(shown) against \(exact) s")
        }
        // Alerts sent per night.
        let sent = try await connection.query(
            """
            SELECT to_char((alertsenttimestamp AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD'), count(*)::text FROM elasticc2_ppdbalert
             WHERE alertsenttimestamp IS NOT NULL GROUP BY 1
            """, statement: "sent")
        #expect(keys(Self.pages[2], "sent") == (try Self.keyed(sent) { "sent/\(try sent.value($0, 0, as: String.self))" }))
        let sentByMJD = try await connection.query(
            """
            SELECT floor(s.midpointtai)::integer, count(*)::text FROM elasticc2_ppdbalert a
              JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
             WHERE a.alertsenttimestamp IS NOT NULL GROUP BY 1
            """, statement: "sent by MJD")
        #expect(sentByMJD.rowCount > 1)
        #expect(keys(Self.pages[2], "sent-mjd") == (try Self.keyed(sentByMJD) { "sent-mjd/\(try sentByMJD.value($0, 0, as: Int.self))" }))
        // Messages per classifier.
        let messages = try await connection.query(
            """
            SELECT c.classifier_id, (SELECT count(*) FROM elasticc2_brokermessage m WHERE m.classifier_id = c.classifier_id)::text
              FROM elasticc2_brokerclassifier c
            """, statement: "messages")
        #expect(keys(Self.pages[3]) == (try Self.keyed(messages) { "messages/\(try messages.value($0, 0, as: Int.self))" }))
        // Admin summary: the snapshot's table sizes.
        let admin = keys(Self.pages[4])
        #expect(admin["rows/PPDBDiaObject"] == "346" && admin["rows/PPDBDiaSource"] == "1862" && admin["rows/PPDBDiaForcedSource"] == "52172")
        #expect(admin["rows/DiaObject"] == "131" && admin["rows/DiaSource"] == "650" && admin["rows/DiaForcedSource"] == "5765")
        let alerts = try await connection.query(
            "SELECT count(*) FILTER (WHERE alertsenttimestamp IS NOT NULL)::text, count(*) FILTER (WHERE alertsenttimestamp IS NULL)::text FROM elasticc2_ppdbalert",
            statement: "alerts")
        #expect(admin["alerts/sent"] == alerts.string(0, 0) && admin["alerts/unsent"] == alerts.string(0, 1))
        let types = try await connection.query(
            """
            SELECT coalesce(t.gentype::text, 'none'), count(*)::text FROM elasticc2_diaobject o
              LEFT JOIN elasticc2_diaobjecttruth t ON t.diaobject_id = o.diaobject_id GROUP BY 1
            """, statement: "types")
        #expect(admin.filter { $0.key.hasPrefix("objects/") } == (try Self.keyed(types) { "objects/\(try types.value($0, 0, as: String.self))" }))
        kill(server.processIdentifier, SIGTERM)
        try await TestEnvironment.waitUntil(timeout: .seconds(20), "elasticc-api stopped") { !server.isRunning }
    }

    @Test("Pages need a login (strangers go to the login form); the admin summary needs a superuser")
    func pageAccess() async throws {
        let (url, connection) = try ScienceAPITests.database()
        try await RouterTests.application(url).test(.router) { client in
            for path in Self.pages + ["/elasticc2/", "/elasticc2/classids"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .found && response.headers[.location]?.hasPrefix("/accounts/login/") == true, "\(path)")
                }
            }
            let scientist = try await RouterTests.logIn(client, "scientist", "pw")
            let cookie = "csrftoken=\(scientist.csrf); sessionid=\(scientist.session ?? "")"
            try await client.execute(uri: "/elasticc2/adminsummary", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/elasticc2/classifiers", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("<table>"))
            }
            // The superuser's summary names each true type's class id and description (the
            // taxonomy ppdb migrate fills), e.g. the most common type's.
            let (gentype, classId, description) = try await connection.run { connection in
                try connection.query(
                    """
                    SELECT t.gentype, m.classid, m.description FROM elasticc2_diaobjecttruth t
                      JOIN elasticc2_diaobject o ON o.diaobject_id = t.diaobject_id
                      JOIN elasticc2_gentypeofclassid m ON m.gentype = t.gentype
                     GROUP BY 1, 2, 3 ORDER BY count(*) DESC, 1 LIMIT 1
                    """, statement: "a type with its class"
                ).single((Int64, Int64, String).self)
            }
            let root = try await RouterTests.logIn(client, "root", "pw")
            try await client.execute(
                uri: "/elasticc2/adminsummary", method: .get, headers: [.cookie: "csrftoken=\(root.csrf); sessionid=\(root.session ?? "")"]
            ) { response in
                let page = String(buffer: response.body)
                #expect(response.status == .ok)
                #expect(page.contains("<td>\(gentype)</td><td>\(classId)</td><td>\(HTML.escape(description))</td>"), "gentype \(gentype)")
            }
        }
    }

    @Test("The nightly sums grow with new messages only: a second answer to an alert is a message, not another answered alert")
    func incrementalSums() async throws {
        let (_, connection) = try ScienceAPITests.database()
        func answeredAndMessages() async throws -> [Int] {
            let sums = try await connection.query(
                "SELECT coalesce(sum(answered_alerts), 0), coalesce(sum(messages), 0) FROM elasticcstream_nightly_answers", statement: "sums")
            return [try sums.value(0, 0, as: Int.self), try sums.value(0, 1, as: Int.self)]
        }
        let added = try await connection.run { connection in try StreamSummary.refresh(settleSeconds: 0, on: connection) }
        let stored = try await connection.query("SELECT count(*) FROM elasticc2_brokermessage", statement: "stored").value(0, 0, as: Int.self)
        #expect(added > 0)
        let first = try await answeredAndMessages()
        #expect(first[1] == stored)
        // Nothing new: nothing added.
        #expect(try await connection.run { connection in try StreamSummary.refresh(settleSeconds: 0, on: connection) } == 0)
        // A repeat answer (same alert and classifier), and an answer from a new classifier.
        try await connection.query(
            """
            INSERT INTO elasticc2_brokerclassifier (brokername, brokerversion, classifiername, classifierparams, modified)
            VALUES ('late', '1', 'c', 'p', now())
            """, statement: "new classifier")
        try await connection.query(
            """
            INSERT INTO elasticc2_brokermessage (streammessage_id, topicname, alert_id, diasource_id, msghdrtimestamp, descingesttimestamp,
                                                 elasticcpublishtimestamp, brokeringesttimestamp, classifier_id, classid, probability)
            SELECT streammessage_id, topicname, alert_id, diasource_id, msghdrtimestamp, now() - interval '1 minute', elasticcpublishtimestamp,
                   brokeringesttimestamp, c, classid, probability
              FROM (SELECT * FROM elasticc2_brokermessage ORDER BY brokermessage_id LIMIT 1) m,
                   LATERAL (VALUES (m.classifier_id), ((SELECT max(classifier_id) FROM elasticc2_brokerclassifier))) AS x(c)
            """, statement: "two more answers")
        #expect(try await connection.run { connection in try StreamSummary.refresh(settleSeconds: 0, on: connection) } == 2)
        #expect(try await answeredAndMessages() == [first[0] + 1, first[1] + 2])
    }

    @Test("The sums stop at the newest message older than the settle time; younger ones above it wait for a later refresh; none is summed twice")
    func settledMessagesOnly() async throws {
        let (_, connection) = try ScienceAPITests.database()
        func through() async throws -> Int64 {
            try await connection.query(
                "SELECT summarized_through FROM elasticcstream_summary_progress WHERE name = 'broker messages'", statement: "progress"
            ).single(Int64.self)
        }
        func addCopies(_ count: Int, ingestedSecondsAgo: Int) async throws {
            try await connection.query(
                """
                INSERT INTO elasticc2_brokermessage (streammessage_id, topicname, alert_id, diasource_id, msghdrtimestamp, descingesttimestamp,
                                                     elasticcpublishtimestamp, brokeringesttimestamp, classifier_id, classid, probability)
                SELECT streammessage_id, topicname, alert_id, diasource_id, msghdrtimestamp, now() - make_interval(secs => \(ingestedSecondsAgo)),
                       elasticcpublishtimestamp, brokeringesttimestamp, classifier_id, classid, probability
                  FROM elasticc2_brokermessage ORDER BY brokermessage_id LIMIT \(count)
                """, statement: "copies")
        }
        let stored = try await connection.query("SELECT max(brokermessage_id) FROM elasticc2_brokermessage", statement: "max").single(Int64.self)
        // Three messages stored just now, then two stored "earlier" with higher ids (a COPY that
        // drew its ids later but stamped them before): only the settled ones count.
        try await addCopies(3, ingestedSecondsAgo: 0)
        try await addCopies(2, ingestedSecondsAgo: 600)
        let added = try await connection.run { connection in try StreamSummary.refresh(settleSeconds: 60, on: connection) }
        // The two settled ones have the highest ids: the sums reach them, and with them the
        // three young ones below — the settle bounds by ingest time, as before.
        #expect(try await through() == stored + 5 && added == Int(stored) + 5)
        let again = try await connection.run { connection in try StreamSummary.refresh(settleSeconds: 60, on: connection) }
        #expect(again == 0)
        // Younger than the settle time and above every settled id: left for later.
        try await addCopies(4, ingestedSecondsAgo: 0)
        #expect(try await connection.run { connection in try StreamSummary.refresh(settleSeconds: 60, on: connection) } == 0)
        #expect(try await through() == stored + 5)
        try await connection.query(
            "UPDATE elasticc2_brokermessage SET descingesttimestamp = now() - interval '2 minutes' WHERE brokermessage_id > \(stored + 5)",
            statement: "settle them")
        #expect(try await connection.run { connection in try StreamSummary.refresh(settleSeconds: 60, on: connection) } == 4)
        #expect(try await through() == stored + 9)
    }
}
