import Foundation
import Hummingbird
import JSON
import Postgres

/// The TOM's DRF router under `/elasticc2/`: answers as Django REST framework gives them —
/// `{"count", "next", "previous", "results"}` pages (`limit`/`offset`, 100 a page), `.json`
/// suffixes and `?format=json`, `{"detail": …}` errors, a login by session or HTTP Basic.
extension ElasticcAPIServer {
    /// No `max_limit` in the TOM (a page could be the whole table): ours stops here.
    static let browseMaximumLimit = 10_000

    func addBrowseRoutes(to router: Router<APIRequestContext>) {
        for table in PPDBBrowser.tables {
            browse(router, "/elasticc2/\(table.route)") { request, context, _ in try await listPage(table, request, context) }
            browse(router, "/elasticc2/\(table.route).json") { request, context, _ in try await listPage(table, request, context) }
            browse(router, "/elasticc2/\(table.route)/:id") { _, _, id in
                guard let id, let json = try await withConnection({ try PPDBBrowser.row(table, id: id, on: $0) }) else {
                    return Self.detail(.notFound, "No \(table.model) matches the given query.")
                }
                return Self.json(json)
            }
        }
        for (route, message, bySource) in [
            ("ppdbdiaobjectwithsources", "Must give an object id", false), ("ppdbdiaobjectofsource", "Must give a source id", true),
        ] {
            for path in ["/elasticc2/\(route)", "/elasticc2/\(route).json"] {
                browse(router, path) { _, _, _ in Self.json(#""\#(message)""#, status: .badRequest) }
            }
            browse(router, "/elasticc2/\(route)/:id") { _, _, id in
                let model = bySource ? PPDBBrowser.sources.model : PPDBBrowser.objects.model
                guard let id,
                    let json = try await withConnection({ connection in
                        try PPDBBrowser.objectWithSources(objectId: bySource ? nil : id, sourceId: bySource ? id : nil, on: connection)
                    })
                else { return Self.detail(.notFound, "No \(model) matches the given query.") }
                return Self.json(json)
            }
        }
    }

    private func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await pool.withConnection { connection in try await connection.run { connection in try body(connection) } }
    }

    /// A DRF view: the login, the format, the method; `handler` gets the id of a detail path
    /// (nil when it is no whole number: no row matches it).
    private func browse(
        _ router: Router<APIRequestContext>, _ path: String,
        _ handler: @escaping @Sendable (Request, APIRequestContext, Int64?) async throws -> Response
    ) {
        router.on(RouterPath(path), method: .get) { request, context in
            if let refusal = try await browseLogin(request, context) { return refusal }
            var id: String? = context.parameters.get("id").map { String($0) }
            var format: String? = request.uri.queryParameters.get("format").map { String($0) }
            if let whole = id, let suffix = whole.range(of: ".", options: .backwards) {
                format = String(whole[suffix.upperBound...])
                id = String(whole[..<suffix.lowerBound])
            }
            if path.hasSuffix(".json") { format = "json" }
            guard format == nil || format == "json" || format == "api" else { return Self.detail(.notFound, "Not found.") }
            return try await handler(request, context, id.flatMap { Int64($0) })
        }
        for method in [HTTPRequest.Method.post, .put, .patch, .delete] {
            router.on(RouterPath(path), method: method) { request, context in
                if let refusal = try await browseLogin(request, context) { return refusal }
                var response = Self.detail(.methodNotAllowed, "Method \"\(method.rawValue)\" not allowed.")
                response.headers[.allow] = "GET, HEAD, OPTIONS"
                return response
            }
        }
    }

    /// DRF's authentication: HTTP Basic when the request carries it (wrong: 401 at once), else
    /// the session; neither: 401 naming what is missing.
    private func browseLogin(_ request: Request, _ context: APIRequestContext) async throws -> Response? {
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("basic ") {
            guard let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
                let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
            else { return Self.unauthorized("Invalid basic header. Credentials not correctly base64 encoded.") }
            let username = String(text[..<colon])
            let password = String(text[text.index(after: colon)...])
            guard username.unicodeScalars.count <= TOMUser.maximumUsernameLength, password.utf8.count <= 4096, !username.contains("\0") else {
                return Self.unauthorized("Invalid username/password.")
            }
            switch try await checkPassword(username: username, password: password, address: context.clientAddress) {
            case .user: return nil
            case .refused: return Self.unauthorized("Invalid username/password.")
            case .throttled(let wait):
                var response = Self.detail(.tooManyRequests, "Request was throttled. Expected available in \(wait) seconds.")
                response.headers[.retryAfter] = String(wait)
                return response
            case .busy:
                var response = Self.detail(.serviceUnavailable, "Too many logins at once; try again shortly.")
                response.headers[.retryAfter] = "2"
                return response
            }
        }
        return context.user == nil ? Self.unauthorized("Authentication credentials were not provided.") : nil
    }

    private func listPage(_ table: PPDBBrowser.Table, _ request: Request, _ context: APIRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        // DRF's reading: a limit that is no positive whole number is the page size; an offset
        // that is no whole number ≥ 0 is 0.
        let asked = parameters.get("limit").flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil } ?? PPDBBrowser.defaultLimit
        let limit = min(asked, Self.browseMaximumLimit)
        // Past any table's end, and far from overflowing `offset + limit`.
        let offset = min(parameters.get("offset").flatMap { Int($0) }.flatMap { $0 >= 0 ? $0 : nil } ?? 0, 1 << 50)
        let page = try await withConnection { try PPDBBrowser.page(table, limit: limit, offset: offset, on: $0) }
        func link(offset: Int?) -> String {
            var query = Dictionary(parameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { _, last in last })
            query["limit"] = String(limit)
            query["offset"] = offset.map(String.init)
            var components = URLComponents()
            components.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
            let base =
                settings.publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
                ?? "http://\(request.head.authority ?? "localhost")"
            return "\"" + base + request.uri.path + "?" + (components.percentEncodedQuery ?? "") + "\""
        }
        let next = offset + limit < page.count ? link(offset: offset + limit) : "null"
        let previous = offset <= 0 ? "null" : link(offset: offset - limit > 0 ? offset - limit : nil)
        return Self.json(
            "{\"count\": \(page.count), \"next\": \(next), \"previous\": \(previous), \"results\": [" + page.rows.joined(separator: ", ") + "]}")
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func detail(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var writer = JSONWriter(reservingCapacity: 64 + text.utf8.count)
        writer.beginObject()
        writer.key("detail")
        writer.string(text)
        writer.endObject()
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    /// 401 with the scheme a client may answer with (the TOM's first is `Token`, which we do not keep).
    static func unauthorized(_ text: String) -> Response {
        var response = detail(.unauthorized, text)
        response.headers[.wwwAuthenticate] = "Basic realm=\"api\""
        return response
    }
}
