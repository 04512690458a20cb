import Foundation
import Logging
import Postgres
import TOMDatabase
import TestSupport
import Testing
import WebAPI

/// The built `elasticc-api serve`, driven over real HTTP by the TOM's own `tom_client.py`.
@Suite("elasticc-api with the TOM's tom_client.py")
struct TomClientTests {
    @Test("TomClient logs in, sees a wrong password refused, and PUTs 650 messages in batches of 100, each stored once; /metrics counts it")
    func tomClientPushes() async throws {
        let (url, connection) = try RouterTests.database()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let metricsPort = try await PrometheusScrape.freePort()
        let (server, address) = try await Self.startServer(["--db", url, "--metrics-listen", "127.0.0.1:\(metricsPort)"], in: work)
        defer {
            if server.isRunning { kill(server.processIdentifier, SIGKILL) }
        }
        let output = try await TestEnvironment.runPython(
            script: "tom_client_push.py",
            arguments: [
                try TestEnvironment.reference("tom_desc").path, "http://\(address)", "ampel", "pw", "650",
            ],
            input: "")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(result["failed_login_detected"] as? Bool == true)
        #expect(result["statuses"] as? [Int] == [201])
        #expect(result["loaded"] as? Int == 650)
        let counts = try await connection.query(
            """
            SELECT count(*), count(DISTINCT alert_id), sum(array_length(classid, 1)),
                   count(*) FILTER (WHERE msghdrtimestamp - brokeringesttimestamp BETWEEN interval '0' AND interval '5 seconds'),
                   count(*) FILTER (WHERE descingesttimestamp - msghdrtimestamp BETWEEN interval '0' AND interval '5 seconds'),
                   (SELECT count(*) FROM elasticc2_brokersourceids)
              FROM elasticc2_brokermessage WHERE topicname = 'REST_push'
            """, statement: "pushed")
        #expect(try (0..<6).map { try counts.value(0, $0, as: Int.self) } == [650, 650, 1300, 650, 650, 650])
        // What Prometheus sees: requests by route, method and status; messages stored; latencies.
        let metrics = try await PrometheusScrape.read("http://127.0.0.1:\(metricsPort)/metrics")
        let put = ["route": "/elasticc2/brokermessage", "method": "PUT"]
        #expect(metrics.sum("elasticc_api_requests_total", put.merging(["status": "201"]) { $1 }) == 7)
        #expect(metrics.sum("elasticc_api_requests_total", ["route": "/accounts/login", "method": "POST", "status": "200"]) == 2)
        // Broker account names stay off the unauthenticated listener unless --metrics-per-user.
        #expect(metrics.sum("elasticc_api_broker_messages_stored_total", [:]) == 650)
        #expect(!metrics.samples.contains { $0.labels.values.contains("ampel") })
        #expect(metrics.families["elasticc_api_request_duration_seconds"] == "histogram")
        #expect(metrics.sum("elasticc_api_request_duration_seconds_count", put) == 7)
        #expect(try await PrometheusScrape.status("http://127.0.0.1:\(metricsPort)/ready").code == 200)
        // SIGTERM: a graceful stop.
        kill(server.processIdentifier, SIGTERM)
        try await TestEnvironment.waitUntil(timeout: .seconds(20), "elasticc-api stopped") { !server.isRunning }
        #expect(server.terminationReason == .exit && server.terminationStatus == 0)
    }

    /// Runs `body` against the built `elasticc-api serve` started with `arguments`, given its
    /// address and a scratch directory; then stops it with SIGTERM (killed if `body` throws).
    static func withServer<T: Sendable>(_ arguments: [String], _ body: (_ address: String, _ work: URL) async throws -> T) async throws -> T {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let (server, address) = try await startServer(arguments, in: work)
        defer {
            if server.isRunning { kill(server.processIdentifier, SIGKILL) }
        }
        let result = try await body(address, work)
        kill(server.processIdentifier, SIGTERM)
        try await TestEnvironment.waitUntil(timeout: .seconds(20), "elasticc-api stopped") { !server.isRunning }
        return result
    }

    /// Starts the built `elasticc-api serve` on a free port; returns the process and its address.
    static func startServer(_ arguments: [String], in work: URL) async throws -> (process: Process, address: String) {
        let ready = work.appendingPathComponent("ready").path
        let server = TestEnvironment.launch(
            [TestEnvironment.executable("elasticc-api"), "serve", "--listen", "127.0.0.1:0", "--ready-file", ready, "--log-level", "warning"]
                + arguments)
        // Files the server keeps (long queries' results) go to the scratch directory.
        server.currentDirectoryURL = work
        try server.run()
        try await TestEnvironment.waitUntil(timeout: .seconds(30), "elasticc-api listening") {
            FileManager.default.fileExists(atPath: ready) || !server.isRunning
        }
        let address = try String(contentsOfFile: ready, encoding: .utf8).split(separator: " ")[1].trimmingCharacters(in: .whitespacesAndNewlines)
        return (server, address)
    }

    @Test("TomClient runs the README's examples: light curves, hot transients, the spectrum workflow and runsqlquery as a read-only role")
    func tomClientScience() async throws {
        let (url, _, connection) = try SQLQueryTests.database()
        let roles = try await SQLQueryTests.grantedRoles(url)
        // The README's examples read elasticc2_wantedspectra: the SQL of elasticc_admin's members.
        _ = try await connection.run { connection in
            try UserDirectory.save(
                username: "scientist", passwordHash: try DjangoPassword.hash("pw", iterations: 1000), broker: false, superuser: false,
                elasticcAdmin: true, on: connection)
        }
        let objects = try ScienceAPITests.ints(
            await connection.query(
                """
                SELECT diaobject_id FROM elasticc2_diaforcedsource WHERE psflux > 0 AND psflux > 3 * psfluxerr
                 GROUP BY diaobject_id ORDER BY diaobject_id LIMIT 2
                """, statement: "objects"))
        let points = try await connection.query(
            "SELECT count(*), (SELECT count(DISTINCT diaobject_id) FROM elasticc2_diasource) FROM elasticc2_diaforcedsource WHERE diaobject_id = ANY(\(objects))",
            statement: "points")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        // A role that may write is refused at start.
        let refused = try await TestEnvironment.execute(
            [TestEnvironment.executable("elasticc-api"), "serve", "--listen", "127.0.0.1:0", "--db", url, "--sql-query-db", url])
        #expect(refused.status != 0 && refused.stderr.contains("refusing --sql-query-db"))
        let (server, address) = try await Self.startServer(
            ["--db", url, "--sql-query-db", roles.plain, "--sql-admin-query-db", roles.admin], in: work)
        defer {
            if server.isRunning { kill(server.processIdentifier, SIGKILL) }
        }
        let output = try await TestEnvironment.runPython(
            script: "tom_client_science.py",
            arguments: [
                try TestEnvironment.reference("tom_desc").path, "http://\(address)", "scientist", "pw",
                String(objects[0]), String(objects[1]),
            ],
            input: "")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        let first = Int(objects[0])
        let second = Int(objects[1])
        #expect(result["ltcv_objects"] as? [Int] == [first, second])
        #expect(result["ltcv_points"] as? Int == (try points.value(0, 0, as: Int.self)))
        #expect(result["hot_objects"] as? Int ?? 0 > 0 && result["hot_columns_equal"] as? Bool == true)
        #expect(result["asked"] as? Int == 2)
        #expect(result["wanted_after_ask"] as? [Int] == [first, second])
        let plan = result["plan"] as? [String: Any] ?? [:]
        #expect(plan["objectid"] as? Int == first && plan["facility"] as? String == "Rubin-Spec")
        #expect(plan["plantime"] as? String == "2026-12-01T03:00:00" && plan["comment"] as? String == "")
        #expect(result["wanted_after_plan"] as? [Int] == [second])
        #expect(result["removed"] as? Int == 1)
        #expect(result["wanted_after_remove"] as? [Int] == [first, second])
        #expect(result["report_classid"] as? Int == 2232)
        let known = result["known"] as? [[String: Any]] ?? []
        #expect(known.count == 1 && known.first?["objectid"] as? Int == first)
        #expect(known.first?["facility"] as? String == "Rubin-Spec" && known.first?["classid"] as? Int == 2232)
        #expect(result["wanted_after_report"] as? [Int] == [second])
        #expect(result["sql_wanted_rows"] as? Int == 1)
        #expect(result["sql_delete"] as? String == "error")
        #expect(result["get_askforspectrum"] as? Int == 405)
        kill(server.processIdentifier, SIGTERM)
        try await TestEnvironment.waitUntil(timeout: .seconds(20), "elasticc-api stopped") { !server.isRunning }
    }

    @Test(
        "TomClient: classids, ltcvfeatures and brokerclassfortruetype answer as the TOM's code computes them (pandas, light-curve) on the same rows; 400 and 404 where the TOM fails"
    )
    func tomClientScoring() async throws {
        let (url, connection) = try ScienceAPITests.database()
        // A source with at least five forced points of its object up to its time; an object with many.
        let source = try await connection.query(
            """
            SELECT s.diasource_id FROM elasticc2_ppdbdiasource s
             WHERE (SELECT count(*) FROM elasticc2_ppdbdiaforcedsource f WHERE f.diaobject_id = s.diaobject_id AND f.midpointtai <= s.midpointtai) >= 5
             ORDER BY s.diasource_id LIMIT 1
            """, statement: "source")
        let object = try await connection.query(
            "SELECT diaobject_id FROM elasticc2_ppdbdiaforcedsource GROUP BY diaobject_id HAVING count(*) >= 20 ORDER BY diaobject_id LIMIT 1",
            statement: "object")
        let nugent = try await connection.query(
            "SELECT classifier_id FROM elasticc2_brokerclassifier WHERE classifiername = 'NugentClassifier'", statement: "nugent"
        ).value(0, 0, as: Int64.self)
        // Ib/c (2223): 272 objects of the snapshot's truth.
        let arguments = [
            try TestEnvironment.reference("tom_desc").path, "scientist", "pw", url,
            String(try source.value(0, 0, as: Int64.self)), String(try object.value(0, 0, as: Int64.self)), String(nugent), "2223",
        ]
        let output = try await Self.withServer(["--db", url]) { address, _ in
            var withAddress = arguments
            withAddress.insert("http://\(address)", at: 1)
            return try await TestEnvironment.runPython(script: "tom_scoring.py", arguments: withAddress, input: "")
        }
        let result = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        // The taxonomy as the TOM's migrations leave it: 42 class ids (54 rows name some several times).
        #expect(result["classids_status"] as? Int == 200 && result["classids_get_status"] as? Int == 200)
        #expect(result["classids_count"] as? Int == 42)
        #expect(result["classids_equal"] as? Bool == true && result["classids_order_equal"] as? Bool == true)
        for name in ["source", "object"] {
            #expect(result["\(name)_status"] as? Int == 200, "\(result["\(name)_text"] ?? "")")
            #expect(result["\(name)_keys_equal"] as? Bool == true)
            #expect(result["\(name)_lightcurve_equal"] as? Bool == true)
            #expect(result["\(name)_features_close"] as? Bool == true)
        }
        #expect(result["source_points"] as? Int ?? 0 >= 5)
        #expect(result["object_points"] as? Int == 10)
        #expect(result["no_points_key"] as? Bool == true)
        // The TOM answers 500 to each of these.
        #expect(result["three_points"] as? [AnyHashable] == [400, "the light curve has 3 points; the features need at least 4"])
        #expect(result["unknown_source"] as? [AnyHashable] == [404, "no PPDB source with diasource_id 1"])
        #expect(result["no_id"] as? [AnyHashable] == [400, "give sourceid or objectid"])
        // brokerclassfortruetype: the TOM's frames of gen_elasticc2_confusionvst, row for row.
        for what in TrueTypeClassificationsEndpoint.whats {
            #expect(result["truetype_\(what)_equal"] as? Bool == true, "\(what): \(result["truetype_\(what)_difference"] ?? "")")
            #expect(result["truetype_\(what)_rows"] as? Int ?? 0 > 0 && result["truetype_\(what)_from_dict"] as? Bool == true)
        }
        #expect(result["truetype_unknown_what"] as? [AnyHashable] == [400, "Unknown data structure: nothing"])
        #expect(result["truetype_unknown_class"] as? [AnyHashable] == [400, "Can't find data file for classifier \(nugent), class 2220"])
        #expect(result["truetype_unknown_classifier"] as? [AnyHashable] == [400, "Can't find data file for classifier 999999, class 2223"])
        #expect((result["truetype_pickle"] as? [Any])?.first as? Int == 400)
    }

    @Test("TomClient browses the PPDB as DRF serves it: pages through next links, details, suffixes, 404/401/405, HTTP Basic")
    func tomClientBrowse() async throws {
        let (url, _) = try ScienceAPITests.database()
        let output = try await Self.withServer(["--db", url]) { address, _ in
            try await TestEnvironment.runPython(
                script: "tom_browse.py", arguments: [try TestEnvironment.reference("tom_desc").path, "http://\(address)", "scientist", "pw", url],
                input: "")
        }
        let result = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        // 346 objects in pages of 50: 7 pages, every id once, in order.
        #expect(result["walk_pages"] as? Int == 7 && result["walk_equal"] as? Bool == true && result["walk_counts"] as? [Int] == [346])
        #expect(
            result["first_previous"] is NSNull && (result["first_next"] as? String ?? "").hasSuffix("/elasticc2/ppdbdiaobject/?limit=50&offset=50"))
        #expect((result["second_previous"] as? String ?? "").hasSuffix("/elasticc2/ppdbdiaobject/?limit=50"))
        #expect((result["first_keys"] as? [String])?.prefix(3) == ["diaobject_id", "isddf", "simversion"])
        #expect(result["default_page"] as? Int == 100)
        #expect(result["deep_page"] as? [Int] == result["deep_expected"] as? [Int] && (result["deep_page"] as? [Int])?.count == 3)
        #expect(result["source_detail_equal"] as? Bool == true && result["object_detail_equal"] as? Bool == true)
        #expect(
            result["source_keys"] as? [String] == [
                "diasource_id", "midpointtai", "filtername", "ra", "decl", "psflux", "psfluxerr", "snr", "diaobject",
            ])
        #expect(result["object_fields"] as? Int == PPDBBrowser.objectFields.count && result["format_param"] as? Bool == true)
        let missing = result["missing"] as? [Any]
        #expect(missing?.first as? Int == 404 && (missing?.last as? [String: String]) == ["detail": "No PPDBDiaObject matches the given query."])
        #expect(result["not_a_number"] as? [String: String] == ["detail": "No PPDBDiaSource matches the given query."])
        #expect(result["bad_format"] as? Int == 404)
        // Untrusted numbers: an offset and a limit at Int64's end answer an empty page.
        #expect((result["huge_offset"] as? [Any])?.first as? Int == 200 && (result["huge_offset"] as? [Any])?[1] as? Int == 0)
        #expect(result["with_sources"] as? [Int] == result["with_sources_expected"] as? [Int])
        #expect((result["of_source"] as? [Any])?.last as? Bool == true && (result["of_source"] as? [Any])?[1] as? Int == 2)
        #expect(
            (result["of_source_list"] as? [Any])?.first as? Int == 400
                && (result["of_source_list"] as? [Any])?.last as? String == "Must give a source id")
        let stranger = result["stranger"] as? [Any]
        #expect(stranger?.first as? Int == 401)
        #expect((stranger?[1] as? [String: String]) == ["detail": "Authentication credentials were not provided."])
        #expect(stranger?.last as? String == "Basic realm=\"api\"")
        #expect(result["basic"] as? [Int] == [200, 1])
        #expect((result["basic_wrong"] as? [Any])?.first as? Int == 401)
        #expect(((result["basic_wrong"] as? [Any])?.last as? [String: String]) == ["detail": "Invalid username/password."])
        let post = result["post"] as? [Any]
        #expect(post?.first as? Int == 405 && (post?[1] as? [String: String]) == ["detail": "Method \"POST\" not allowed."])
    }
}
