import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import TOMDatabase
import TestSupport
import Testing
import WebAPI

/// The login, CSRF and broker-push rules, through Hummingbird's router-level test client.
@Suite("elasticc-api routes: login, CSRF, brokers' REST push")
struct RouterTests {
    static let logger = Logger(label: "api-tests")

    /// A migrated database with a broker (`ampel`), a scientist and a superuser, all with password "pw".
    static func database() throws -> (url: String, connection: PostgresConnection) {
        let url = try PostgresTestServer.shared.makeDatabase("api")
        let connection = try PostgresConnection(url)
        _ = try Migrator.migrate(connection, logger: logger)
        // Few rounds keep the tests quick; verification accepts any count, as Django's does.
        let hash = try DjangoPassword.hash("pw", iterations: 1000)
        try UserDirectory.save(username: "ampel", passwordHash: hash, broker: true, superuser: false, on: connection)
        try UserDirectory.save(username: "scientist", passwordHash: hash, broker: false, superuser: false, on: connection)
        try UserDirectory.save(username: "root", passwordHash: hash, broker: false, superuser: true, on: connection)
        return (url, connection)
    }

    static func application(_ url: String) -> some ApplicationProtocol {
        let server = ElasticcAPIServer(pool: PostgresPool(conninfo: url, applicationName: "api-tests", maximumConnections: 4), logger: logger)
        return Application(router: server.router())
    }

    /// `name=value` cookies the response sets.
    static func cookies(_ response: TestResponse) -> [String: String] {
        var cookies: [String: String] = [:]
        for header in response.headers[values: .setCookie] {
            guard let pair = header.split(separator: ";").first, let equals = pair.firstIndex(of: "=") else { continue }
            cookies[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        return cookies
    }

    /// Logs in as TomClient does; returns the csrftoken and sessionid (nil when refused).
    static func logIn(_ client: some TestClientProtocol, _ user: String, _ password: String) async throws -> (csrf: String, session: String?) {
        let csrf = try await client.execute(uri: "/accounts/login/", method: .get) { response in
            #expect(response.status == .ok)
            return try #require(cookies(response)["csrftoken"])
        }
        let form = "username=\(user)&password=\(password)&csrfmiddlewaretoken=\(csrf)"
        let session = try await client.execute(
            uri: "/accounts/login/", method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "csrftoken=\(csrf)"], body: ByteBuffer(string: form)
        ) { response in
            #expect(response.status == .ok)
            // Rotated at login, as Django does; TomClient reads the cookie again afterwards.
            return (cookies(response)["sessionid"], cookies(response)["csrftoken"])
        }
        return (session.1 ?? csrf, session.0)
    }

    static func push(
        _ client: some TestClientProtocol, session: String?, csrf: String?, header: String?, body: String
    ) async throws -> (status: HTTPResponse.Status, json: [String: Any], location: String?) {
        try await push(client, session: session, csrf: csrf, header: header, bytes: Array(body.utf8))
    }

    /// `push` with a body of any bytes, valid UTF-8 or not.
    static func push(
        _ client: some TestClientProtocol, session: String?, csrf: String?, header: String?, bytes body: [UInt8]
    ) async throws -> (status: HTTPResponse.Status, json: [String: Any], location: String?) {
        var headers: HTTPFields = [.contentType: "application/json"]
        var cookie: [String] = []
        if let session { cookie.append("sessionid=\(session)") }
        if let csrf { cookie.append("csrftoken=\(csrf)") }
        if !cookie.isEmpty { headers[.cookie] = cookie.joined(separator: "; ") }
        if let header { headers[HTTPField.Name("X-CSRFToken")!] = header }
        return try await client.execute(uri: "/elasticc2/brokermessage/", method: .put, headers: headers, body: ByteBuffer(bytes: body)) {
            response in
            let json = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
            return (response.status, json, response.headers[.location])
        }
    }

    static let message = """
        [{"alertId": 1, "diaSourceId": 6, "elasticcPublishTimestamp": 1700000000123, "brokerIngestTimestamp": 1700000000456.7,
          "brokerName": "apiclassifier", "brokerVersion": "1.0", "classifierName": "AlwaysTheSame", "classifierParams": "0.5 111, 0.75 112",
          "classifications": [{"classId": 111, "probability": 0.25}, {"classId": 112, "probability": 0.75}]}]
        """

    func storedMessages(_ connection: PostgresConnection) throws -> Int {
        try connection.query("SELECT count(*) FROM elasticc2_brokermessage", statement: "count").value(0, 0, as: Int.self)
    }

    @Test("Login as TomClient drives it: a csrftoken cookie, then a session; a wrong password gets the page TomClient looks for")
    func login() async throws {
        let (url, _) = try Self.database()
        try await Self.application(url).test(.router) { client in
            let good = try await Self.logIn(client, "ampel", "pw")
            #expect(good.csrf.count == 32 && good.session?.count == 32)
            let bad = try await Self.logIn(client, "ampel", "wrong")
            #expect(bad.session == nil)
            try await client.execute(
                uri: "/accounts/login/", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "csrftoken=\(good.csrf)"],
                body: ByteBuffer(string: "username=nobody&password=pw&csrfmiddlewaretoken=\(good.csrf)")
            ) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("Please enter a correct username and password"))
            }
            // No token, or a wrong one: refused before any password is looked at.
            try await client.execute(
                uri: "/accounts/login/", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "csrftoken=\(good.csrf)"],
                body: ByteBuffer(string: "username=ampel&password=pw")
            ) { response in #expect(response.status == .forbidden) }
        }
    }

    @Test("PUT brokermessage: Broker members, apibroker and superusers only; CSRF header required; bad bodies named; nothing stored on refusal")
    func pushRules() async throws {
        let (url, connection) = try Self.database()
        try await Self.application(url).test(.router) { client in
            let ampel = try await Self.logIn(client, "ampel", "pw")
            let scientist = try await Self.logIn(client, "scientist", "pw")
            let root = try await Self.logIn(client, "root", "pw")
            var refused = try await Self.push(client, session: nil, csrf: ampel.csrf, header: ampel.csrf, body: Self.message)
            #expect(refused.status == .forbidden)
            refused = try await Self.push(client, session: scientist.session, csrf: scientist.csrf, header: scientist.csrf, body: Self.message)
            #expect(refused.status == .forbidden && (refused.json["error"] as? String)?.contains("may not push") == true)
            refused = try await Self.push(client, session: ampel.session, csrf: ampel.csrf, header: nil, body: Self.message)
            #expect(refused.status == .forbidden && (refused.json["error"] as? String)?.contains("CSRF token missing") == true)
            refused = try await Self.push(
                client, session: ampel.session, csrf: ampel.csrf, header: String(repeating: "a", count: 32), body: Self.message)
            #expect(refused.status == .forbidden)
            let bad = try await Self.push(client, session: ampel.session, csrf: ampel.csrf, header: ampel.csrf, body: "[{\"alertId\": 1}]")
            #expect(bad.status == .badRequest && bad.json["status"] as? String == "error")
            #expect((bad.json["error"] as? String)?.hasPrefix("message 0: ") == true)
            #expect(try storedMessages(connection) == 0)

            let stored = try await Self.push(client, session: ampel.session, csrf: ampel.csrf, header: ampel.csrf, body: Self.message)
            #expect(stored.status == .created && stored.json["num_loaded"] as? Int == 1)
            let id = try #require(stored.json["brokerMessageId"] as? Int)
            #expect(stored.location?.hasSuffix("/elasticc2/brokermessage/\(id)") == true)
            // The same request again: stored once, answered 201 with nothing new.
            let retried = try await Self.push(client, session: root.session, csrf: root.csrf, header: root.csrf, body: Self.message)
            #expect(retried.status == .created && retried.json["num_loaded"] as? Int == 0 && retried.json["brokerMessageId"] as? Int == -1)
            #expect(try storedMessages(connection) == 1)
        }
    }

    static func batch(broker: String, alerts: Range<Int>) -> String {
        "["
            + alerts.map { alert in
                """
                {"alertId": \(alert), "diaSourceId": \(alert + 5), "elasticcPublishTimestamp": 1700000000000, "brokerIngestTimestamp": 1700000000500,
                 "brokerName": "\(broker)", "brokerVersion": "1", "classifierName": "c", "classifierParams": "p",
                 "classifications": [{"classId": 2222, "probability": 1.0}]}
                """
            }.joined(separator: ",") + "]"
    }

    @Test("Two brokers pushing at once each get all their messages stored once; a request raced by its own retry is stored once")
    func concurrentPushes() async throws {
        let (url, connection) = try Self.database()
        try await Self.application(url).test(.router) { client in
            let ampel = try await Self.logIn(client, "ampel", "pw")
            let root = try await Self.logIn(client, "root", "pw")
            let results = try await withThrowingTaskGroup(of: Int.self) { group in
                for (index, login) in [ampel, root, ampel, root].enumerated() {
                    // Brokers A and B, each request sent twice at the same time (a retry racing the original).
                    let body = Self.batch(broker: index % 2 == 0 ? "A" : "B", alerts: 0..<300)
                    group.addTask {
                        let answer = try await Self.push(client, session: login.session, csrf: login.csrf, header: login.csrf, body: body)
                        #expect(answer.status == .created)
                        return answer.json["num_loaded"] as? Int ?? -1
                    }
                }
                var loaded: [Int] = []
                for try await count in group { loaded.append(count) }
                return loaded.sorted()
            }
            #expect(results == [0, 0, 300, 300])
            let rows = try await connection.query(
                "SELECT count(*), count(DISTINCT (alert_id, classifier_id)) FROM elasticc2_brokermessage", statement: "rows")
            #expect(try rows.value(0, 0, as: Int.self) == 600 && rows.value(0, 1, as: Int.self) == 600)
        }
    }

    @Test("A body over the limit is refused with 413 and nothing is stored")
    func oversizedBody() async throws {
        let (url, connection) = try Self.database()
        try await Self.application(url).test(.router) { client in
            let ampel = try await Self.logIn(client, "ampel", "pw")
            let huge = Self.batch(broker: "A", alerts: 0..<1) + String(repeating: " ", count: 33 << 20)
            let answer = try await Self.push(client, session: ampel.session, csrf: ampel.csrf, header: ampel.csrf, body: huge)
            #expect(answer.status == .contentTooLarge)
            #expect(try storedMessages(connection) == 0)
        }
    }
}
