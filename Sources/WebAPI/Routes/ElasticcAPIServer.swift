import BlockingWork
import BrokerIngest
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import Postgres

/// The TOM's HTTP side on Hummingbird: the login TomClient drives, and brokers' REST push.
/// Database work runs on pooled connections' own threads, password hashing on threads of its
/// own: NIO's event loops and the cooperative pool never wait on either.
public struct ElasticcAPIServer: Sendable {
    let pool: PostgresPool
    let settings: APISettings
    let logger: Logger
    /// Rung when a long query is queued here, for this server's `LongQueryWorkers`.
    let doorbell: LongQueryDoorbell
    let hashing = PasswordHashing()
    let loginThrottle = LoginThrottle()

    public static let failedLoginText = "Please enter a correct username and password. Note that both fields may be case-sensitive."

    public init(pool: PostgresPool, settings: APISettings = APISettings(), doorbell: LongQueryDoorbell = LongQueryDoorbell(), logger: Logger) {
        self.pool = pool
        self.settings = settings
        self.doorbell = doorbell
        self.logger = logger
    }

    public func router() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware())
        router.add(middleware: DatabaseBusyMiddleware())
        router.add(middleware: SessionMiddleware(pool: pool))
        router.add(middleware: CSRFMiddleware(settings: settings, logger: logger))
        router.get("/") { _, context in
            APIResponses.page(title: "ElasticcStream", body: "<p>Logged in as \(APIResponses.escape(context.user?.username ?? "nobody")).</p>")
        }
        router.get("/accounts/login") { request, _ in loginPage(request, failed: false) }
        router.post("/accounts/login") { request, context in try await login(request, context) }
        // Django 4 logs out on POST, and still on GET.
        router.post("/accounts/logout") { request, context in try await logout(request, context) }
        router.get("/accounts/logout") { request, context in try await logout(request, context) }
        router.put("/elasticc2/brokermessage") { request, context in try await pushBrokerMessages(request, context) }
        addScienceRoutes(to: router)
        addPageRoutes(to: router)
        addBrowseRoutes(to: router)
        addLongQueryRoutes(to: router)
        return router
    }

    // MARK: Login

    /// The login form, with a `csrftoken` cookie if the client has none yet; the form carries
    /// the secret masked, new each time, as Django's do.
    func loginPage(_ request: Request, failed: Bool, status: HTTPResponse.Status = .ok) -> Response {
        let existing = request.cookies["csrftoken"]?.value
        let secret = existing.flatMap { CSRFToken.isWellFormed($0) && $0.utf8.count == 32 ? $0 : nil } ?? CSRFToken.newSecret()
        let error = failed ? "<ul class=\"errorlist nonfield\"><li>\(Self.failedLoginText)</li></ul>" : ""
        var response = APIResponses.page(
            status: status, title: "Log in",
            body: """
                \(error)
                <form method="post" action="/accounts/login/">
                <input type="hidden" name="csrfmiddlewaretoken" value="\(CSRFToken.masked(secret))">
                <label>Username <input type="text" name="username"></label>
                <label>Password <input type="password" name="password"></label>
                <button type="submit">Log in</button>
                </form>
                """)
        if existing != secret { response.setCookie(csrfCookie(secret)) }
        return response
    }

    func csrfCookie(_ secret: String) -> Cookie {
        Cookie(name: "csrftoken", value: secret, maxAge: 31_449_600, path: "/", secure: settings.secureCookies, httpOnly: false, sameSite: .lax)
    }

    func sessionCookie(_ key: String, maxAge: Int) -> Cookie {
        Cookie(name: "sessionid", value: key, maxAge: maxAge, path: "/", secure: settings.secureCookies, httpOnly: true, sameSite: .lax)
    }

    func login(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: 64 * 1024) } catch {
            return refuse(request, nil, .contentTooLarge, "the login form is larger than 64 KiB")
        }
        let form: [String: String]
        do { form = try APIResponses.formFields(String(buffer: body)) } catch {
            return refuse(request, nil, .badRequest, error.description)
        }
        // The middleware checked the header when there was one; a form token must match too.
        if request.headers[CSRFMiddleware.header] == nil {
            guard let cookie = request.cookies["csrftoken"]?.value, let token = form["csrfmiddlewaretoken"],
                CSRFToken.matches(token: token, cookie: cookie)
            else {
                logger.notice("Login refused", metadata: ["user": "\(form["username"] ?? "-")", "reason": "CSRF token missing or incorrect"])
                return APIResponses.error(.forbidden, "CSRF verification failed: CSRF token missing or incorrect.")
            }
        }
        let username = form["username"] ?? ""
        let password = form["password"] ?? ""
        guard username.unicodeScalars.count <= TOMUser.maximumUsernameLength, password.utf8.count <= 4096 else {
            return refuse(request, nil, .badRequest, "username or password too long")
        }
        let user: TOMUser
        switch try await checkPassword(username: username, password: password, address: context.clientAddress) {
        case .user(let found): user = found
        case .refused: return loginPage(request, failed: true)
        case .throttled(let wait):
            var response = APIResponses.error(.tooManyRequests, "too many failed logins for this user or from this address; try again in \(wait) s")
            response.headers[.retryAfter] = String(wait)
            return response
        case .busy:
            var response = APIResponses.error(.serviceUnavailable, "too many logins at once; try again shortly")
            response.headers[.retryAfter] = "2"
            return response
        }
        let lifetime = settings.sessionLifetime
        // As Django's login(): the session the request came with ends, a new key is issued,
        // and the CSRF secret is rotated.
        let previous = request.cookies["sessionid"]?.value
        let key = try await pool.withConnection { connection in
            try await connection.run { connection in
                if let previous { try SessionStore.delete(previous, on: connection) }
                return try SessionStore.create(userId: user.id, lifetime: lifetime, on: connection)
            }
        }
        logger.info("Logged in", metadata: ["user": "\(username)"])
        var response = APIResponses.page(title: "Logged in", body: "<p>You are logged in as \(APIResponses.escape(username)).</p>")
        response.setCookie(sessionCookie(key, maxAge: Int(lifetime.components.seconds)))
        response.setCookie(csrfCookie(CSRFToken.newSecret()))
        return response
    }

    /// Ends the request's session (if any) and clears its cookie.
    func logout(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        if let key = request.cookies["sessionid"]?.value, !key.isEmpty {
            try await pool.withConnection { connection in
                try await connection.run { connection in try SessionStore.delete(key, on: connection) }
            }
        }
        if let user = context.user { logger.info("Logged out", metadata: ["user": "\(user.username)"]) }
        var response = APIResponses.page(title: "Logged out", body: "<p>You are logged out.</p>")
        response.setCookie(sessionCookie("", maxAge: 0))
        return response
    }

    // MARK: Broker messages

    func pushBrokerMessages(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        guard let user = context.user else { return refuse(request, nil, .forbidden, "log in first (/accounts/login/)") }
        guard user.mayPushBrokerMessages else {
            return refuse(request, user, .forbidden, "user \(user.username) may not push broker messages (not in the group Broker)")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: APISettings.maximumBodyBytes)
        } catch {
            return refuse(request, user, .contentTooLarge, "the body is larger than \(APISettings.maximumBodyBytes) bytes")
        }
        let messages: [BrokerMessagePush]
        do {
            messages = try BrokerMessagePush.parse(Data(buffer: body))
        } catch {
            return refuse(request, user, .badRequest, error.description)
        }
        let outcome = try await pool.withConnection { connection in
            try await connection.run { connection in try PushedMessageStore.store(messages, on: connection) }
        }
        let id = outcome.firstMessageId ?? -1
        var path = request.uri.path
        if !path.hasSuffix("/") { path += "/" }
        // Never from the request's Host header, which the client chooses.
        let location = (settings.publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } ?? "") + "\(path)\(id)"
        let dimensions = settings.metricsPerUser ? [("user", user.username)] : []
        Counter(label: "elasticc_api_broker_messages_stored_total", dimensions: dimensions).increment(by: outcome.loaded)
        Counter(label: "elasticc_api_broker_messages_already_stored_total", dimensions: dimensions).increment(by: outcome.alreadyStored)
        logger.debug(
            "Broker messages stored", metadata: ["user": "\(user.username)", "loaded": "\(outcome.loaded)", "repeated": "\(outcome.alreadyStored)"])
        return APIResponses.json(
            .created, .object([("brokerMessageId", .int(id)), ("num_loaded", .int(Int64(outcome.loaded)))]),
            headers: [.location: location])
    }

    enum PasswordCheck {
        case user(TOMUser)
        case refused
        /// Too many failed logins for this user or address: seconds to wait.
        case throttled(Int)
        /// Every hashing slot taken.
        case busy
    }

    /// A username and password as the login form and HTTP Basic give them, under the login
    /// throttle (a refusal counts against the user and the address).
    func checkPassword(username: String, password: String, address: String) async throws -> PasswordCheck {
        if let wait = loginThrottle.retryAfter(username: username, address: address) {
            logger.notice("Login refused", metadata: ["user": "\(username)", "address": "\(address)", "reason": "too many failed logins"])
            return .throttled(wait)
        }
        let found = try await pool.withConnection { connection in
            try await connection.run { connection in try UserDirectory.find(username: username, on: connection) }
        }
        let matches: Bool
        do { matches = try await hashing.verify(password, against: found?.passwordHash) } catch { return .busy }
        guard let user = found?.user, user.isActive, matches else {
            loginThrottle.failed(username: username, address: address)
            logger.notice("Login refused", metadata: ["user": "\(username)", "reason": "wrong username or password"])
            return .refused
        }
        loginThrottle.succeeded(username: username)
        return .user(user)
    }

    func refuse(_ request: Request, _ user: TOMUser?, _ status: HTTPResponse.Status, _ reason: String) -> Response {
        logger.notice(
            "Request refused",
            metadata: ["path": "\(request.uri.path)", "user": "\(user?.username ?? "-")", "status": "\(status.code)", "reason": "\(reason)"])
        return APIResponses.error(status, reason)
    }
}
