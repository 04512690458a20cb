import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Synchronization
import TOMDatabase
import TestSupport
import Testing

@testable import WebAPI

/// What a logged-in user or a stranger might send: NUL characters, huge or non-finite values,
/// a forged Host or Origin, stolen or stale sessions, password guessing. Each gets a 4xx naming
/// the problem and changes nothing.
@Suite("elasticc-api: untrusted input, sessions and logins")
struct UntrustedInputTests {
    static func application(_ url: String, _ configure: (inout APISettings) -> Void = { _ in }) -> some ApplicationProtocol {
        var settings = APISettings()
        configure(&settings)
        let server = ElasticcAPIServer(
            pool: PostgresPool(conninfo: url, applicationName: "api-tests", maximumConnections: 4), settings: settings, logger: RouterTests.logger)
        return Application(router: server.router())
    }

    static func whoAmI(_ client: some TestClientProtocol, session: String?) async throws -> String {
        try await client.execute(uri: "/", method: .get, headers: session.map { [.cookie: "sessionid=\($0)"] } ?? [:]) { response in
            String(buffer: response.body)
        }
    }

    @Test("NUL is refused in forms, JSON bodies and SQL values; it never cuts a name short")
    func nulRefused() async throws {
        let (url, connection) = try ScienceAPITests.database()
        // Refused while the body is read, before any SQL could run.
        try await Self.application(url, { $0.sqlQueries = ReadOnlyQueryRunner(conninfo: url) }).test(.router) { client in
            let csrf = try await client.execute(uri: "/accounts/login/", method: .get) { RouterTests.cookies($0)["csrftoken"] ?? "" }
            let nulLogin = try await client.execute(
                uri: "/accounts/login/", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "csrftoken=\(csrf)"],
                body: ByteBuffer(string: "username=scientist%00x&password=pw&csrfmiddlewaretoken=\(csrf)")
            ) { response in (response.status, RouterTests.cookies(response)["sessionid"], String(buffer: response.body)) }
            #expect(nulLogin.0 == .badRequest && nulLogin.1 == nil && nulLogin.2.contains("NUL"))

            let login = try await RouterTests.logIn(client, "scientist", "pw")
            let object = try await connection.query("SELECT min(diaobject_id) FROM elasticc2_diaobject", statement: "object").value(
                0, 0, as: Int64.self)
            let ask = try await ScienceAPITests.call(
                client, login, "/elasticc2/askforspectrum/", body: #"{"requester": "abc\u0000def", "objectids": [\#(object)], "priorities": [3]}"#)
            #expect(ask.status == .badRequest && ask.error.contains("NUL"), "\(ask.text)")
            let sql = try await ScienceAPITests.call(
                client, login, "/db/runsqlquery/", body: #"{"query": "SELECT %(a)s AS a", "subdict": {"a": "abc\u0000def"}}"#)
            #expect(sql.status == .badRequest && sql.error.contains("NUL"), "\(sql.text)")
        }
        #expect(try await connection.query("SELECT count(*) FROM elasticc2_wantedspectra", statement: "none").value(0, 0, as: Int.self) == 0)
        // The last wall: a text parameter with a NUL never reaches libpq to be cut short.
        await #expect(throws: PostgresError.self) { try await connection.query("SELECT \("a\u{0}b")::text", statement: "nul") }
    }

    @Test("Long text, huge day counts, NaN and infinity get 400s naming the parameter")
    func boundedValues() async throws {
        let (url, connection) = try ScienceAPITests.database()
        let object = try await connection.query("SELECT min(diaobject_id) FROM elasticc2_diaobject", statement: "object").value(0, 0, as: Int64.self)
        try await Self.application(url).test(.router) { client in
            let login = try await RouterTests.logIn(client, "scientist", "pw")
            let long = String(repeating: "r", count: 100_000)
            let cases: [(path: String, body: String, says: String)] = [
                (
                    "/elasticc2/askforspectrum/", #"{"requester": "\#(long)", "objectids": [\#(object)], "priorities": [3]}"#,
                    "requester is longer than 1000"
                ),
                ("/elasticc2/spectrawanted/", #"{"not_claimed_in_last_days": 1000000000000000}"#, "not_claimed_in_last_days must be between"),
                ("/elasticc2/gethottransients/", #"{"detected_in_last_days": -5}"#, "detected_in_last_days must be between"),
                (
                    "/elasticc2/reportspectruminfo/", #"{"objectid": \#(object), "facility": "f", "mjd": 60000, "z": "NaN", "classid": 2222}"#,
                    "z must be a finite"
                ),
                (
                    "/elasticc2/reportspectruminfo/", #"{"objectid": \#(object), "facility": "f", "mjd": "Infinity", "z": 0.1, "classid": 2222}"#,
                    "mjd must be a finite"
                ),
                (
                    "/elasticc2/reportspectruminfo/", #"{"objectid": \#(object), "facility": "f", "mjd": 1e300, "z": 0.1, "classid": 2222}"#,
                    "mjd must be a finite"
                ),
                ("/elasticc2/planspectrum/", #"{"objectid": \#(object), "facility": "\#(long)"}"#, "facility is longer than 1000"),
            ]
            for request in cases {
                let answer = try await ScienceAPITests.call(client, login, request.path, body: request.body)
                #expect(
                    answer.status == .badRequest && answer.error.contains(request.says),
                    "\(request.path): \(answer.status) \(answer.text.prefix(300))")
            }
        }
        let written = try await connection.query(
            "SELECT (SELECT count(*) FROM elasticc2_wantedspectra) + (SELECT count(*) FROM elasticc2_spectruminfo) + (SELECT count(*) FROM elasticc2_plannedspectra)",
            statement: "nothing written")
        #expect(try written.value(0, 0, as: Int.self) == 0)
    }

    @Test("Logout ends the session; a new login ends the old one and rotates the CSRF secret; forms carry it masked")
    func sessions() async throws {
        let (url, _) = try RouterTests.database()
        try await Self.application(url).test(.router) { client in
            let (formToken, cookie) = try await client.execute(uri: "/accounts/login/", method: .get) { response in
                let page = String(buffer: response.body)
                let token = page.firstMatch(of: #/name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"/#).map { String($0.output.1) } ?? ""
                return (token, RouterTests.cookies(response)["csrftoken"] ?? "")
            }
            #expect(formToken.count == 64 && cookie.count == 32 && !formToken.contains(cookie))

            let first = try await RouterTests.logIn(client, "scientist", "pw")
            let firstSession = try #require(first.session)
            #expect(try await Self.whoAmI(client, session: firstSession).contains("scientist"))
            // Logging in again from the same browser: the old session key is worthless afterwards.
            let csrf = try await client.execute(uri: "/accounts/login/", method: .get) { RouterTests.cookies($0)["csrftoken"] ?? "" }
            let (secondSession, rotated) = try await client.execute(
                uri: "/accounts/login/", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "csrftoken=\(csrf); sessionid=\(firstSession)"],
                body: ByteBuffer(string: "username=scientist&password=pw&csrfmiddlewaretoken=\(csrf)")
            ) { response in (RouterTests.cookies(response)["sessionid"], RouterTests.cookies(response)["csrftoken"]) }
            #expect(secondSession != nil && secondSession != firstSession && rotated != nil && rotated != csrf)
            #expect(try await Self.whoAmI(client, session: firstSession).contains("nobody"))
            #expect(try await Self.whoAmI(client, session: secondSession).contains("scientist"))

            let loggedOut = try await ScienceAPITests.call(client, (rotated ?? "", secondSession), "/accounts/logout/", body: "")
            #expect(loggedOut.status == .ok && loggedOut.headers[values: .setCookie].contains { $0.hasPrefix("sessionid=;") })
            #expect(try await Self.whoAmI(client, session: secondSession).contains("nobody"))
        }
    }

    @Test("Origin must be the server's own or trusted; Location never comes from Host; cookies can be Secure")
    func originsAndLocations() async throws {
        let (url, _) = try RouterTests.database()
        try await Self.application(url, { $0.trustedOrigins = ["https://tom.example.org"] }).test(.router) { client in
            let login = try await RouterTests.logIn(client, "ampel", "pw")
            func push(_ extra: HTTPFields, uri: String = "/elasticc2/brokermessage/") async throws -> (HTTPResponse.Status, String?, String) {
                var headers: HTTPFields = [
                    .contentType: "application/json", .cookie: "csrftoken=\(login.csrf); sessionid=\(login.session ?? "")",
                    HTTPField.Name("X-CSRFToken")!: login.csrf,
                ]
                headers.append(contentsOf: extra)
                return try await client.execute(
                    uri: uri, method: .put, headers: headers, body: ByteBuffer(string: RouterTests.message)
                ) { response in (response.status, response.headers[.location], String(buffer: response.body)) }
            }
            let forged = try await push([:], uri: "http://evil.example/elasticc2/brokermessage/")
            #expect(forged.0 == .created && forged.1?.hasPrefix("/elasticc2/brokermessage/") == true, "\(forged)")
            let cross = try await push([HTTPField.Name("Origin")!: "http://evil.example"])
            #expect(cross.0 == .forbidden && cross.2.contains("Origin checking failed"))
            #expect(try await push([HTTPField.Name("Origin")!: "https://tom.example.org"]).0 == .created)
        }
        try await Self.application(
            url,
            {
                $0.publicURL = "https://tom.example.org/"
                $0.secureCookies = true
            }
        ).test(.router) { client in
            let secure = try await client.execute(uri: "/accounts/login/", method: .get) { $0.headers[values: .setCookie] }
            #expect(secure.allSatisfy { $0.contains("Secure") } && !secure.isEmpty)
            let login = try await RouterTests.logIn(client, "ampel", "pw")
            let stored = try await RouterTests.push(client, session: login.session, csrf: login.csrf, header: login.csrf, body: RouterTests.message)
            #expect(stored.location?.hasPrefix("https://tom.example.org/elasticc2/brokermessage/") == true, "\(stored.location ?? "")")
        }
    }

    @Test("Failed logins past the limit get 429 for that user (even with the right password), without hashing; others log in")
    func loginThrottle() async throws {
        let (url, _) = try RouterTests.database()
        try await Self.application(url).test(.router) { client in
            let csrf = try await client.execute(uri: "/accounts/login/", method: .get) { RouterTests.cookies($0)["csrftoken"] ?? "" }
            func attempt(_ user: String, _ password: String) async throws -> HTTPResponse.Status {
                try await client.execute(
                    uri: "/accounts/login/", method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "csrftoken=\(csrf)"],
                    body: ByteBuffer(string: "username=\(user)&password=\(password)&csrfmiddlewaretoken=\(csrf)")
                ) { $0.status }
            }
            for _ in 0..<10 { #expect(try await attempt("scientist", "guess") == .ok) }  // the form again, with its error
            #expect(try await attempt("scientist", "pw") == .tooManyRequests)
            #expect(try await RouterTests.logIn(client, "root", "pw").session != nil)
        }
    }

    @Test("Failed logins from one address, whatever names they try, are throttled per address; other addresses are not")
    func loginThrottlePerAddress() {
        let throttle = LoginThrottle(limits: .init(failuresPerUsername: 10, failuresPerAddress: 30, window: .seconds(300)))
        for attempt in 0..<30 {
            #expect(throttle.retryAfter(username: "name\(attempt)", address: "203.0.113.9") == nil)
            throttle.failed(username: "name\(attempt)", address: "203.0.113.9")
        }
        let wait = throttle.retryAfter(username: "somebody-new", address: "203.0.113.9")
        #expect(wait.map { (1...300).contains($0) } == true, "\(String(describing: wait))")
        #expect(throttle.retryAfter(username: "somebody-new", address: "198.51.100.1") == nil)
    }

    @Test("An unknown user or an unusable hash costs a full hash, as a wrong password does; a full queue is turned away, not queued")
    func passwordWork() async throws {
        // What each login is checked against, and that every check is a full PBKDF2 of the
        // default rounds (the gap this closed: 3 ms for an unknown user against 120 ms).
        let checked = Mutex<[String]>([])
        let hashing = PasswordHashing(threads: 1, maximumWaiting: 2) { password, encoded in
            checked.withLock { $0.append(encoded) }
            return DjangoPassword.verify(password, against: encoded)
        }
        let real = try DjangoPassword.hash("right")
        #expect(try await hashing.verify("right", against: real))
        #expect(try await hashing.verify("wrong", against: nil) == false)
        #expect(try await hashing.verify("wrong", against: "!") == false)
        let rounds = checked.withLock { $0 }.map { $0.split(separator: "$")[1] }
        #expect(rounds == Array(repeating: Substring("\(DjangoPassword.defaultIterations)"), count: 3), "\(rounds)")

        // One thread and two waiting: of eight at once, five are turned away (the route's 503).
        let gate = PasswordHashing(threads: 1, maximumWaiting: 2) { _, _ in
            Thread.sleep(forTimeInterval: 2)
            return false
        }
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 { group.addTask { (try? await gate.verify("x", against: real)) != nil } }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { !$0 }.count == 5, "\(outcomes)")
    }

    @Test("Where the TOM ignores an unknown parameter we do too (a script that worked there works here); where it refuses one, so do we")
    func unknownParameters() async throws {
        let (url, connection) = try ScienceAPITests.database()
        let object = try await connection.query("SELECT min(diaobject_id) FROM elasticc2_diaobject", statement: "object").value(0, 0, as: Int64.self)
        try await Self.application(url).test(.router) { client in
            let login = try await RouterTests.logIn(client, "scientist", "pw")
            let report = try await ScienceAPITests.call(
                client, login, "/elasticc2/reportspectruminfo/",
                body: #"{"objectid": \#(object), "facility": "f", "mjd": 60000, "z": 0.1, "classid": 2222, "comment": "extra"}"#)
            #expect(report.status == .ok && report.object["status"] as? String == "ok", "\(report.text)")
            let known = try await ScienceAPITests.call(client, login, "/elasticc2/getknownspectruminfo/", body: #"{"mjd": 60000}"#)
            #expect(known.status == .ok && (known.object["spectra"] as? [Any])?.count == 1, "\(known.text)")
            let alert = try await connection.query("SELECT min(alert_id) FROM elasticc2_ppdbalert", statement: "alert").value(0, 0, as: Int64.self)
            for (path, body) in [
                ("/elasticc2/askforspectrum", #"{"requester": "R", "objectids": [\#(object)], "priorities": [1], "note": "extra"}"#),
                ("/elasticc2/spectrawanted", #"{"not_claimed_in_last_days": 7, "extra": 1}"#),
                ("/elasticc2/planspectrum", #"{"objectid": \#(object), "facility": "Keck", "extra": 1}"#),
                ("/elasticc2/removespectrumplan", #"{"objectid": \#(object), "facility": "Keck", "extra": 1}"#),
                ("/elasticc2/getalert", #"{"alertid": \#(alert), "extra": 1}"#),
            ] {
                let answer = try await ScienceAPITests.call(client, login, path, body: body)
                #expect(answer.status == .ok, "\(path): \(answer.text)")
            }
            let strict = try await ScienceAPITests.call(client, login, "/elasticc2/ltcv/", body: #"{"objectid": \#(object), "bogus": 1}"#)
            #expect(strict.status == .badRequest && strict.error.contains("bogus"))
        }
    }
}
