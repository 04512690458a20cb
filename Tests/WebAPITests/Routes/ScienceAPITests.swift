import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PPDBLoading
import Postgres
import TOMDatabase
import TestSupport
import Testing
import WebAPI

/// The seed's ELAsTiCC2 web API on the snapshot's end state (131 objects, 650 sources, 5765
/// forced sources), every expected value computed here with SQL written for the test.
@Suite("elasticc-api: light curves, hot transients, spectra, classifiers, alerts")
struct ScienceAPITests {
    /// The snapshot restored (PPDB, the TOM's Dia* tables, broker tables) plus the test users.
    static func database() throws -> (url: String, connection: PostgresConnection) {
        let (url, connection) = try RouterTests.database()
        try SnapshotRestorer.restore(dump: PostgresTestServer.snapshotPath, conninfo: url)
        return (url, connection)
    }

    struct Answer {
        var status: HTTPResponse.Status
        var text: String
        var headers: HTTPFields
        var json: Any? { try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var error: String { object["error"] as? String ?? "" }
    }

    /// A request as TomClient sends it: session and csrftoken cookies, the X-CSRFToken header.
    static func call(
        _ client: some TestClientProtocol, _ login: (csrf: String, session: String?)?, _ path: String, method: HTTPRequest.Method = .post,
        body: String
    ) async throws -> Answer {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let login {
            headers[.cookie] = "csrftoken=\(login.csrf)" + (login.session.map { "; sessionid=\($0)" } ?? "")
            headers[HTTPField.Name("X-CSRFToken")!] = login.csrf
        }
        return try await client.execute(uri: path, method: method, headers: headers, body: ByteBuffer(string: body)) { response in
            Answer(status: response.status, text: String(buffer: response.body), headers: response.headers)
        }
    }

    static func ints(_ result: PostgresResult, column: Int = 0) throws -> [Int64] {
        try (0..<result.rowCount).map { try result.value($0, column, as: Int64.self) }
    }

    /// Photometry of objects up to `mjdNow`, by object then time: what every format must hold.
    static func expectedPhotometry(_ connection: PostgresConnection, objects: [Int64], mjdNow: Double?) throws -> [Int64: [(Double, String, Float)]] {
        let rows = try connection.query(
            """
            SELECT diaobject_id, midpointtai, filtername, psflux FROM elasticc2_diaforcedsource
             WHERE diaobject_id = ANY(\(objects)) AND midpointtai <= coalesce(\(mjdNow), 1e9)
             ORDER BY diaobject_id, midpointtai, diaforcedsource_id
            """, statement: "test photometry")
        var photometry: [Int64: [(Double, String, Float)]] = [:]
        for row in 0..<rows.rowCount {
            photometry[try rows.value(row, 0, as: Int64.self), default: []].append(
                (try rows.value(row, 1), try rows.value(row, 2), try rows.value(row, 3)))
        }
        return photometry
    }

    /// Any of the three formats brought to one shape: object id → (ra, mjd, band, flux).
    static func normalized(_ diaobject: Any?, format: Int) throws -> [Int64: (ra: Double, mjd: [Double], band: [String], flux: [Double])] {
        var curves: [Int64: (ra: Double, mjd: [Double], band: [String], flux: [Double])] = [:]
        if format == 2 {
            let columns = try #require(diaobject as? [String: [Any]])
            let count = try #require(columns["objectid"]).count
            #expect(columns.values.allSatisfy { $0.count == count }, "format 2: every column as long as objectid")
            for index in 0..<count {
                let id = try #require(columns["objectid"]?[index] as? Int)
                curves[Int64(id)] = (
                    try #require(columns["ra"]?[index] as? Double), try #require(columns["mjd"]?[index] as? [Double]),
                    try #require(columns["band"]?[index] as? [String]), try #require(columns["flux"]?[index] as? [Double])
                )
            }
            return curves
        }
        for entry in try #require(diaobject as? [[String: Any]]) {
            let photometry = format == 0 ? try #require(entry["photometry"] as? [String: Any]) : entry
            if format == 0 { #expect(entry["mjd"] == nil) } else { #expect(entry["photometry"] == nil) }
            let id = try #require(entry["objectid"] as? Int)
            curves[Int64(id)] = (
                try #require(entry["ra"] as? Double), try #require(photometry["mjd"] as? [Double]), try #require(photometry["band"] as? [String]),
                try #require(photometry["flux"] as? [Double])
            )
        }
        return curves
    }

    @Test("ltcv: the three return formats hold the same light curves as SQL; unknown objects and later points left out; host info")
    func lightCurves() async throws {
        let (url, connection) = try Self.database()
        let objects = try Self.ints(
            await connection.query("SELECT diaobject_id FROM elasticc2_diaobject ORDER BY diaobject_id LIMIT 6", statement: "objects"))
        let mjdNow = try await connection.query(
            "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY midpointtai) FROM elasticc2_diaforcedsource WHERE diaobject_id = ANY(\(objects))",
            statement: "median"
        ).value(0, 0, as: Double.self)
        let expected = try Self.expectedPhotometry(connection, objects: objects, mjdNow: mjdNow)
        #expect(!expected.isEmpty && expected.count <= objects.count)
        let body = "{\"objectids\": [\(objects.map(String.init).joined(separator: ", ")), 999999999], \"mjd_now\": \(mjdNow)"
        try await RouterTests.application(url).test(.router) { client in
            let login = try await RouterTests.logIn(client, "scientist", "pw")
            var seen: [[Int64: (ra: Double, mjd: [Double], band: [String], flux: [Double])]] = []
            for format in 0...2 {
                for path in ["/elasticc2/ltcv", "/elasticc2/ltcvs/"] {
                    let answer = try await Self.call(client, login, path, body: body + ", \"return_format\": \(format)}")
                    #expect(answer.status == .ok, "\(answer.text)")
                    #expect(answer.object["status"] as? String == "ok")
                    seen.append(try Self.normalized(answer.object["diaobject"], format: format))
                }
            }
            for curves in seen {
                #expect(Set(curves.keys) == Set(expected.keys))
                for (id, points) in expected {
                    #expect(curves[id]?.mjd == points.map(\.0))
                    #expect(curves[id]?.band == points.map(\.1))
                    #expect(curves[id]?.flux.map { Float($0) } == points.map(\.2))
                }
            }
            // Objects in id order, as the TOM sorts them.
            let first = try await Self.call(client, login, "/elasticc2/ltcv", body: body + "}")
            let order = (first.object["diaobject"] as? [[String: Any]])?.compactMap { $0["objectid"] as? Int } ?? []
            #expect(order == order.sorted() && order.count == expected.count)
            // float4 columns spelled as PostgreSQL spells them, not as widened doubles.
            let spelled = try await connection.query(
                "SELECT psflux::text FROM elasticc2_diaforcedsource WHERE diaobject_id = \(objects[0]) ORDER BY midpointtai LIMIT 1",
                statement: "flux text"
            ).value(0, 0, as: String.self)
            #expect(first.text.contains(spelled))

            // Host info: the TOM's 15 keys, values as SQL has them; a GET with the body works too.
            let single = try await Self.call(
                client, login, "/elasticc2/ltcv", method: .get, body: "{\"objectid\": \(objects[0]), \"include_hostinfo\": 1}")
            let entry = try #require((single.object["diaobject"] as? [[String: Any]])?.first)
            let host = try await connection.query(
                "SELECT hostgal_mag_y, hostgal_snsep, ra FROM elasticc2_diaobject WHERE diaobject_id = \(objects[0])", statement: "host")
            #expect((entry["hostgal_mag_y"] as? Double).map { Float($0) } == (try host.optional(0, 0, as: Float.self)))
            #expect((entry["hostgal_snsep"] as? Double).map { Float($0) } == (try host.optional(0, 1, as: Float.self)))
            #expect(entry["ra"] as? Double == (try host.value(0, 2, as: Double.self)))
            #expect(entry["zp"] as? Double == 27.5 && entry.keys.filter { $0.hasPrefix("hostgal_") }.count == 15)
            #expect(entry["redshift"] == nil)
            // An empty list finds nothing (the TOM's SQL fails on it).
            let empty = try await Self.call(client, login, "/elasticc2/ltcv", body: "{\"objectids\": []}")
            #expect(empty.status == .ok && (empty.object["diaobject"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("gethottransients: the objects with a source in the window, photometry up to mjd_now, redshift and sncode -99")
    func hotTransients() async throws {
        let (url, connection) = try Self.database()
        let range = try await connection.query(
            "SELECT percentile_disc(0.4) WITHIN GROUP (ORDER BY midpointtai), percentile_disc(0.6) WITHIN GROUP (ORDER BY midpointtai) FROM elasticc2_diasource",
            statement: "window")
        let since = try range.value(0, 0, as: Double.self)
        let now = try range.value(0, 1, as: Double.self)
        let detected = try Self.ints(
            await connection.query(
                """
                SELECT DISTINCT s.diaobject_id FROM elasticc2_diasource s
                 WHERE s.midpointtai >= \(since) AND s.midpointtai <= \(now)
                   AND EXISTS (SELECT 1 FROM elasticc2_diaforcedsource f WHERE f.diaobject_id = s.diaobject_id AND f.midpointtai <= \(now))
                """, statement: "detected"))
        #expect(detected.count > 3)
        let expected = try Self.expectedPhotometry(connection, objects: detected, mjdNow: now)
        let gentype = try await connection.query(
            "SELECT gentype, count(*) FROM elasticc2_diaobjecttruth WHERE diaobject_id = ANY(\(detected)) GROUP BY gentype ORDER BY 2 DESC LIMIT 1",
            statement: "gentype")
        let commonType = try gentype.value(0, 0, as: Int.self)
        try await RouterTests.application(url).test(.router) { client in
            let login = try await RouterTests.logIn(client, "scientist", "pw")
            for format in 0...2 {
                let answer = try await Self.call(
                    client, login, "/elasticc2/gethottransients",
                    body: "{\"detected_since_mjd\": \(since), \"mjd_now\": \(now), \"return_format\": \(format)}")
                #expect(answer.status == .ok, "\(answer.text)")
                let curves = try Self.normalized(answer.object["diaobject"], format: format)
                #expect(Set(curves.keys) == Set(detected))
                for (id, points) in expected { #expect(curves[id]?.mjd == points.map(\.0)) }
                if format == 0 {
                    let entries = answer.object["diaobject"] as? [[String: Any]] ?? []
                    #expect(entries.allSatisfy { $0["redshift"] as? Int == -99 && $0["sncode"] as? Int == -99 && $0["zp"] as? Double == 27.5 })
                }
            }
            // detected_in_last_days counts back from mjd_now.
            let days = try await Self.call(
                client, login, "/elasticc2/gethottransients", body: "{\"detected_in_last_days\": \(now - since), \"mjd_now\": \(now)}")
            #expect(Set(try Self.normalized(days.object["diaobject"], format: 0).keys) == Set(detected))
            // cheat_gentypes keeps the objects of those true types.
            let typed = try await Self.call(
                client, login, "/elasticc2/gethottransients",
                body: "{\"detected_since_mjd\": \(since), \"mjd_now\": \(now), \"cheat_gentypes\": [\(commonType)]}")
            let typedIds = try Self.ints(
                await connection.query(
                    "SELECT diaobject_id FROM elasticc2_diaobjecttruth WHERE gentype = \(commonType) AND diaobject_id = ANY(\(detected))",
                    statement: "typed"))
            #expect(Set(try Self.normalized(typed.object["diaobject"], format: 0).keys) == Set(typedIds))
        }
    }

    @Test("Bad input: 400 naming the parameter; not logged in 403; wrong method 405; nothing half-written")
    func badInput() async throws {
        let (url, connection) = try Self.database()
        let known = try Self.ints(await connection.query("SELECT diaobject_id FROM elasticc2_diaobject ORDER BY 1 LIMIT 2", statement: "known"))
        try await RouterTests.application(url).test(.router) { client in
            let login = try await RouterTests.logIn(client, "scientist", "pw")
            let cases: [(path: String, body: String, names: String)] = [
                ("/elasticc2/ltcv", "{\"objectid\": 1, \"colour\": 2}", "colour"),
                ("/elasticc2/ltcv", "{\"objectid\": 1, \"objectids\": [2]}", "objectid or objectids"),
                ("/elasticc2/ltcv", "{}", "objectid or objectids"),
                ("/elasticc2/ltcv", "{\"objectid\": 1, \"return_format\": 3}", "return_format"),
                ("/elasticc2/ltcv", "{\"objectids\": [1, \"x\"]}", "objectids[1]"),
                ("/elasticc2/ltcv", "{\"objectid\": 1, \"mjd_now\": \"soon\"}", "mjd_now"),
                ("/elasticc2/ltcv", "[1, 2]", "JSON object"),
                ("/elasticc2/ltcv", "{\"objectid\": ", "not valid JSON"),
                (
                    "/elasticc2/gethottransients", "{\"detected_since_mjd\": 1, \"detected_in_last_days\": 2}",
                    "detected_since_mjd or detected_in_last_days"
                ),
                ("/elasticc2/gethottransients", "{\"cheat_gentypes\": 11}", "cheat_gentypes"),
                ("/elasticc2/askforspectrum", "{\"requester\": \"R\", \"objectids\": [\(known[0])], \"priorities\": [1, 2]}", "same length"),
                ("/elasticc2/askforspectrum", "{\"requester\": \"R\", \"objectids\": [\(known[0]), 999999999], \"priorities\": [1, 2]}", "999999999"),
                ("/elasticc2/askforspectrum", "{\"objectids\": [\(known[0])], \"priorities\": [1]}", "requester"),
                ("/elasticc2/planspectrum", "{\"objectid\": 999999999, \"facility\": \"Keck\"}", "999999999"),
                ("/elasticc2/planspectrum", "{\"objectid\": \(known[0]), \"facility\": \"\"}", "facility"),
                ("/elasticc2/planspectrum", "{\"objectid\": \(known[0]), \"facility\": \"Keck\", \"plantime\": \"next tuesday\"}", "plantime"),
                (
                    "/elasticc2/reportspectruminfo", "{\"objectid\": 999999999, \"facility\": \"Keck\", \"mjd\": 1, \"z\": 0.1, \"classid\": 2222}",
                    "999999999"
                ),
                ("/elasticc2/reportspectruminfo", "{\"objectid\": \(known[0]), \"facility\": \"Keck\", \"mjd\": 1}", "classid, z"),
                ("/elasticc2/spectrawanted", "{\"requested_since\": \"2024-13-45\"}", "requested_since"),
                ("/elasticc2/spectrawanted", "{\"lim_mag\": 22}", "lim_mag_band"),
                ("/elasticc2/getknownspectruminfo", "{\"since\": \"yesterday\"}", "since"),
                ("/elasticc2/getalert", "{}", "alertid or sourceid"),
            ]
            for bad in cases {
                let answer = try await Self.call(client, login, bad.path, body: bad.body)
                #expect(answer.status == .badRequest, "\(bad.path) \(bad.body): \(answer.text)")
                #expect(answer.object["status"] as? String == "error")
                #expect(answer.error.contains(bad.names), "\(bad.path) \(bad.body): \(answer.error)")
            }
            let counts = try await connection.query(
                """
                SELECT (SELECT count(*) FROM elasticc2_wantedspectra), (SELECT count(*) FROM elasticc2_plannedspectra),
                       (SELECT count(*) FROM elasticc2_spectruminfo)
                """, statement: "spectrum rows")
            #expect(try (0..<3).map { try counts.value(0, $0, as: Int.self) } == [0, 0, 0])

            let stranger = try await Self.call(client, nil, "/elasticc2/ltcv", body: "{\"objectid\": 1}")
            #expect(stranger.status == .forbidden)
            let strangerClassifiers = try await Self.call(client, nil, "/elasticc2/classifiers_json", method: .get, body: "")
            #expect(strangerClassifiers.status == .found && strangerClassifiers.headers[.location]?.hasPrefix("/accounts/login/") == true)
            let wrongMethod = try await Self.call(client, login, "/elasticc2/askforspectrum", method: .get, body: "")
            #expect(wrongMethod.status == .methodNotAllowed && wrongMethod.headers[.allow] == "POST")
            let unknownAlert = try await Self.call(client, login, "/elasticc2/getalert", body: "{\"alertid\": 424242424242}")
            #expect(unknownAlert.status == .notFound && unknownAlert.error.contains("424242424242"))
        }
    }

    @Test("Spectra: ask, wanted (latest detection per band as SQL finds it), plan hides it, remove shows it, report, known info")
    func spectrumWorkflow() async throws {
        let (url, connection) = try Self.database()
        // Objects with a detection (S/N > 3, positive flux) in their forced photometry.
        let objects = try Self.ints(
            await connection.query(
                """
                SELECT diaobject_id FROM elasticc2_diaforcedsource WHERE psflux > 0 AND psflux > 3 * psfluxerr
                 GROUP BY diaobject_id ORDER BY diaobject_id LIMIT 3
                """, statement: "objects"))
        try #require(objects.count == 3)
        try await RouterTests.application(url).test(.router) { client in
            let login = try await RouterTests.logIn(client, "scientist", "pw")
            let asked = try await Self.call(
                client, login, "/elasticc2/askforspectrum",
                body: "{\"requester\": \"RESSPECT\", \"objectids\": [\(objects[0]), \(objects[1]), \(objects[2])], \"priorities\": [2, 9, -1]}")
            #expect(asked.status == .ok && asked.object["num"] as? Int == 3 && asked.object["message"] as? String == "wanted spectra created")
            let priorities = try await connection.query(
                "SELECT diaobject_id, priority, wantspec_id FROM elasticc2_wantedspectra ORDER BY diaobject_id", statement: "priorities")
            #expect(try (0..<3).map { try priorities.value($0, 1, as: Int.self) } == [2, 5, 0])
            #expect(try priorities.value(0, 2, as: String.self) == "\(objects[0]) ; RESSPECT")

            let wantedBody = "{\"detected_since_mjd\": 0}"
            var wanted = try await Self.call(client, login, "/elasticc2/spectrawanted", body: wantedBody)
            var entries = wanted.object["wantedspectra"] as? [[String: Any]] ?? []
            // Highest priority first.
            #expect(entries.compactMap { $0["oid"] as? Int }.map(Int64.init) == [objects[1], objects[0], objects[2]], "\(wanted.text)")
            #expect(entries.first?["req"] as? String == "RESSPECT" && entries.first?["prio"] as? Int == 5)
            // Output columns named apart from midpointtai: ORDER BY resolves a bare name to an output column
            // first, and two visits minutes apart are one real (float4) value, which left the pick to chance.
            let latest = try await connection.query(
                """
                SELECT DISTINCT ON (filtername) filtername, midpointtai::real AS mjd, (-2.5 * log(psflux) + 27)::real AS mag
                  FROM elasticc2_diaforcedsource
                 WHERE diaobject_id = \(objects[1]) AND psflux > 0 AND psflux > 3 * psfluxerr
                 ORDER BY filtername, midpointtai DESC, diaforcedsource_id DESC
                """, statement: "latest")
            let reported = entries.first?["latest"] as? [String: [String: Double]] ?? [:]
            #expect(reported.count == latest.rowCount)
            for row in 0..<latest.rowCount {
                let band = try latest.value(row, 0, as: String.self)
                #expect(reported[band]?["mjd"].map { Float($0) } == (try latest.value(row, 1, as: Float.self)))
                #expect(reported[band]?["mag"].map { Float($0) } == (try latest.value(row, 2, as: Float.self)))
            }
            // lim_mag keeps objects whose latest detection in the band is at least that bright.
            let band = try latest.value(0, 0, as: String.self)
            let magnitude = try latest.value(0, 2, as: Float.self)
            let bright = try await Self.call(
                client, login, "/elasticc2/spectrawanted",
                body: "{\"detected_since_mjd\": 0, \"lim_mag\": \(magnitude - 0.001), \"lim_mag_band\": \"\(band)\"}")
            #expect((bright.object["wantedspectra"] as? [[String: Any]])?.contains { $0["oid"] as? Int == Int(objects[1]) } == false)
            let faint = try await Self.call(
                client, login, "/elasticc2/spectrawanted",
                body: "{\"detected_since_mjd\": 0, \"lim_mag\": \(magnitude + 0.001), \"lim_mag_band\": \"\(band)\"}")
            #expect((faint.object["wantedspectra"] as? [[String: Any]])?.contains { $0["oid"] as? Int == Int(objects[1]) } == true)

            let planned = try await Self.call(
                client, login, "/elasticc2/planspectrum",
                body: "{\"objectid\": \(objects[1]), \"facility\": \"Keck\", \"plantime\": \"2026-12-01\", \"comment\": \"if clear\"}")
            #expect(planned.status == .ok, "\(planned.text)")
            #expect(planned.object["plantime"] as? String == "2026-12-01T00:00:00" && planned.object["comment"] as? String == "if clear")
            #expect((planned.object["created_at"] as? String)?.hasSuffix("Z") == true)
            wanted = try await Self.call(client, login, "/elasticc2/spectrawanted", body: wantedBody)
            entries = wanted.object["wantedspectra"] as? [[String: Any]] ?? []
            #expect(entries.compactMap { $0["oid"] as? Int }.map(Int64.init) == [objects[0], objects[2]])
            // Claims older than not_claimed_in_last_days do not count; 0 ignores every claim.
            let ignoringClaims = try await Self.call(
                client, login, "/elasticc2/spectrawanted", body: "{\"detected_since_mjd\": 0, \"not_claimed_in_last_days\": 0}")
            #expect((ignoringClaims.object["wantedspectra"] as? [Any])?.count == 3)

            let removed = try await Self.call(
                client, login, "/elasticc2/removespectrumplan", body: "{\"objectid\": \(objects[1]), \"facility\": \"Keck\"}")
            #expect(removed.object["n_deleted"] as? Int == 1 && removed.object["facility"] as? String == "Keck")
            wanted = try await Self.call(client, login, "/elasticc2/spectrawanted", body: wantedBody)
            #expect((wanted.object["wantedspectra"] as? [Any])?.count == 3)

            let report = try await Self.call(
                client, login, "/elasticc2/reportspectruminfo",
                body: "{\"objectid\": \(objects[1]), \"facility\": \"Keck\", \"mjd\": 61010.25, \"z\": 0.125, \"classid\": 2222}")
            #expect(report.status == .ok, "\(report.text)")
            #expect(report.object["mjd"] as? Double == 61010.25 && report.object["z"] as? Double == 0.125 && report.object["classid"] as? Int == 2222)
            _ = try await Self.call(
                client, login, "/elasticc2/reportspectruminfo",
                body: "{\"objectid\": \(objects[0]), \"facility\": \"SALT\", \"mjd\": \"61005.5\", \"z\": \"\", \"classid\": null}")
            let remaining = try await connection.query(
                "SELECT diaobject_id FROM elasticc2_wantedspectra ORDER BY 1", statement: "remaining wanted")
            #expect(try Self.ints(remaining) == [objects[2]])

            let known = try await Self.call(client, login, "/elasticc2/getknownspectruminfo", body: "{}")
            let spectra = known.object["spectra"] as? [[String: Any]] ?? []
            // Ordered by mjd; mjd and z are float4 columns.
            #expect(spectra.compactMap { $0["objectid"] as? Int }.map(Int64.init) == [objects[0], objects[1]])
            #expect(spectra.first?["z"] is NSNull && spectra.first?["classid"] is NSNull && spectra.last?["z"] as? Double == 0.125)
            #expect(spectra.last?["mjd"] as? Double == Double(Float(61010.25)))
            #expect((spectra.first?["report_time"] as? String)?.hasSuffix("Z") == true)
            for (filter, count) in [
                ("{\"objectid\": \(objects[1])}", 1), ("{\"objectid\": [\(objects[0]), \(objects[1])]}", 2), ("{\"facility\": \"SALT\"}", 1),
                ("{\"mjd_min\": 61006}", 1), ("{\"mjd_max\": 61006}", 1), ("{\"classid\": 2222}", 1), ("{\"z_min\": 0.1, \"z_max\": 0.2}", 1),
                ("{\"since\": \"2000-01-01\"}", 2), ("{\"since\": \"2999-01-01T00:00:00\"}", 0),
            ] {
                let filtered = try await Self.call(client, login, "/elasticc2/getknownspectruminfo", body: filter)
                #expect((filtered.object["spectra"] as? [Any])?.count == count, "\(filter): \(filtered.text)")
            }
        }
    }

    @Test("classifiers_json and getalert answer as SQL and alert-sender's rules say")
    func classifiersAndAlerts() async throws {
        let (url, connection) = try Self.database()
        let classifiers = try await connection.query(
            "SELECT classifier_id, brokername, classifiername FROM elasticc2_brokerclassifier ORDER BY 1", statement: "classifiers")
        // An alert with history: a source more than half a day after its object's first.
        let alert = try await connection.query(
            """
            SELECT a.alert_id, a.diasource_id, s.diaobject_id, s.midpointtai FROM elasticc2_ppdbalert a
              JOIN elasticc2_ppdbdiasource s ON s.diasource_id = a.diasource_id
             WHERE s.midpointtai > (SELECT min(midpointtai) + 30 FROM elasticc2_ppdbdiasource f WHERE f.diaobject_id = s.diaobject_id)
             ORDER BY a.alert_id LIMIT 1
            """, statement: "alert")
        let alertId = try alert.value(0, 0, as: Int64.self)
        let sourceId = try alert.value(0, 1, as: Int64.self)
        let objectId = try alert.value(0, 2, as: Int64.self)
        let time = try alert.value(0, 3, as: Double.self)
        let history = try await connection.query(
            """
            SELECT (SELECT count(*) FROM elasticc2_ppdbdiasource WHERE diaobject_id = \(objectId) AND midpointtai < \(time) AND midpointtai >= \(time)::float8 - 365),
                   (SELECT count(*) FROM elasticc2_ppdbdiaforcedsource WHERE diaobject_id = \(objectId) AND midpointtai < \(time)
                       AND midpointtai >= \(time)::float8 - 365
                       AND midpointtai >= (SELECT min(midpointtai) - 30 FROM elasticc2_ppdbdiasource WHERE diaobject_id = \(objectId)))
            """, statement: "history")
        try await RouterTests.application(url).test(.router) { client in
            let login = try await RouterTests.logIn(client, "scientist", "pw")
            for method in [HTTPRequest.Method.get, .post] {
                let listed = try await Self.call(client, login, "/elasticc2/classifiers_json", method: method, body: "")
                let byId = listed.object
                #expect(byId.count == classifiers.rowCount && classifiers.rowCount > 0)
                for row in 0..<classifiers.rowCount {
                    let entry = byId[String(try classifiers.value(row, 0, as: Int.self))] as? [String: Any]
                    #expect(entry?["brokername"] as? String == (try classifiers.value(row, 1, as: String.self)))
                    #expect(entry?["classifiername"] as? String == (try classifiers.value(row, 2, as: String.self)))
                }
            }
            let byAlert = try await Self.call(client, login, "/elasticc2/getalert", body: "{\"alertid\": \(alertId)}")
            let bySource = try await Self.call(client, login, "/elasticc2/getalert", method: .get, body: "{\"sourceid\": \(sourceId)}")
            #expect(byAlert.status == .ok && byAlert.text == bySource.text)
            let document = byAlert.object
            #expect(document["alertId"] as? Int == Int(alertId))
            let source = document["diaSource"] as? [String: Any] ?? [:]
            #expect(source["diaSourceId"] as? Int == Int(sourceId) && source["midPointTai"] as? Double == time)
            #expect((document["diaObject"] as? [String: Any])?["diaObjectId"] as? Int == Int(objectId))
            #expect((document["prvDiaSources"] as? [Any])?.count == (try history.value(0, 0, as: Int.self)))
            #expect((document["prvDiaForcedSources"] as? [Any])?.count == (try history.value(0, 1, as: Int.self)))
            #expect(Array(document.keys).sorted() == ["alertId", "diaObject", "diaSource", "prvDiaForcedSources", "prvDiaSources"])
        }
    }
}
