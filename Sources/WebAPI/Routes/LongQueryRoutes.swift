import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Postgres

/// The TOM's long queries: `db/submitsqlquery/` queues SQL as `db/runsqlquery/` takes it (plus
/// `format`), `db/checksqlquery/<id>/` tells its state, `db/getsqlqueryresults/<id>/` returns
/// the CSV or pickle; POST only, as the TOM's. A user sees only their own queries (a superuser
/// all); an unknown id is a 404 (the TOM crashes with a 500).
extension ElasticcAPIServer {
    func addLongQueryRoutes(to router: Router<APIRequestContext>) {
        router.post("/db/submitsqlquery") { request, context in try await submitLongQuery(request, context) }
        router.post("/db/checksqlquery/:queryid") { request, context in try await checkLongQuery(request, context) }
        router.post("/db/getsqlqueryresults/:queryid") { request, context in try await longQueryResults(request, context) }
        for path in ["/db/submitsqlquery", "/db/checksqlquery/:queryid", "/db/getsqlqueryresults/:queryid"] {
            router.get(RouterPath(path)) { _, _ in Self.methodNotAllowed(allowed: [.post]) }
        }
    }

    func submitLongQuery(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        guard let user = context.user else { return refuse(request, nil, .forbidden, "log in first (/accounts/login/)") }
        guard let runner = user.isElasticcAdmin ? settings.sqlAdminQueries ?? settings.sqlQueries : settings.sqlQueries else {
            return refuse(request, user, .serviceUnavailable, "long queries are not configured here (elasticc-api serve --sql-query-db)")
        }
        let query: SQLQueryRequest
        let format: PandasResultFiles.Format
        do {
            let bytes = try await request.body.collect(upTo: Self.maximumQueryBodyBytes)
            let document: JSONValue
            do { document = try JSONValue.parse(Data(buffer: bytes)) } catch {
                return refuse(request, user, .badRequest, "the body is not valid JSON: \(error)")
            }
            guard let members = document.members else { return refuse(request, user, .badRequest, "the body must be a JSON object with query") }
            switch members["format"] {
            case nil: format = .csv
            case .string("numpy")?:
                return refuse(
                    request, user, .badRequest,
                    "numpy return format isn't implemented (the TOM queues such a query and then fails it); ask for csv or pandas")
            case .string(let name)?:
                guard let known = PandasResultFiles.Format(rawValue: name) else {
                    return refuse(request, user, .badRequest, "Unknown format \(name); known: csv, pandas")
                }
                format = known
            case let other?: return refuse(request, user, .badRequest, "format must be a string (csv or pandas), not \(other.kindName)")
            }
            guard case .object(let all) = document else { return refuse(request, user, .badRequest, "the body must be a JSON object") }
            query = try SQLQueryRequest(.object(all.filter { $0.0 != "format" }))
        } catch let error as SQLQueryRequest.Invalid {
            return refuse(request, user, .badRequest, error.description)
        } catch {
            return refuse(request, user, .contentTooLarge, "the body is larger than \(Self.maximumQueryBodyBytes) bytes")
        }
        // What the gate and the placeholders refuse is refused now, not when the query runs.
        if case .failure(let refusal) = runner.prepare(query) { return refuse(request, user, .badRequest, refusal.message) }
        let limit = settings.longQueries.queuedPerUser
        do {
            let id = try await pool.withConnection { connection in
                try await connection.run { connection in
                    try LongQueryQueue.submit(query, format: format, user: user, limit: limit, on: connection)
                }
            }
            doorbell.ring()
            logger.info("Long query queued", metadata: ["query": "\(id)", "user": "\(user.username)", "format": "\(format.rawValue)"])
            return APIResponses.json(.ok, .object([("status", .string("ok")), ("queryid", .string(id))]))
        } catch is LongQueryQueue.TooManyQueued {
            return refuse(
                request, user, .tooManyRequests, "you have \(limit) queries waiting or running, the limit here; submit more when they finish")
        }
    }

    private func lookUp(_ request: Request, _ context: APIRequestContext) async throws -> (TOMUser, LongQueryQueue.Status)? {
        guard let user = context.user else { return nil }
        let id = context.parameters.get("queryid") ?? ""
        let status = try await pool.withConnection { connection in
            try await connection.run { connection in try LongQueryQueue.status(of: id, for: user, on: connection) }
        }
        return status.map { (user, $0) }
    }

    private func unknownQuery(_ request: Request, _ context: APIRequestContext) -> Response {
        guard context.user != nil else { return refuse(request, nil, .forbidden, "log in first (/accounts/login/)") }
        return refuse(request, context.user, .notFound, "Unknown query \(context.parameters.get("queryid") ?? "")")
    }

    func checkLongQuery(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        guard let (_, status) = try await lookUp(request, context) else { return unknownQuery(request, context) }
        return APIResponses.json(.ok, status.json)
    }

    /// The result file; a query not finished or failed is a 409 with the TOM's text (a 500 there).
    func longQueryResults(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        guard let (user, status) = try await lookUp(request, context) else { return unknownQuery(request, context) }
        func conflict(_ text: String) -> Response {
            Response(
                status: .conflict, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        switch status.state {
        case .error: return conflict("Query errored out: \(status.errorText ?? "")")
        case .queued: return conflict("Query \(status.id) hasn't started yet")
        case .started: return conflict("Query \(status.id) hasn't finished yet")
        case .finished: break
        }
        let path = settings.longQueries.resultURL(status.id, status.format).path
        let body: ResponseBody
        do {
            // Read in chunks on NIO's thread pool; a missing file is an HTTPError.
            body = try await FileIO().loadFile(path: path, context: context)
        } catch {
            return refuse(
                request, user, .notFound,
                "the results of query \(status.id) are gone: pruned, or kept in another server's --query-results-dir")
        }
        let type = status.format == .csv ? "text/csv; charset=utf-8" : "application/octet-stream"
        return Response(status: .ok, headers: [.contentType: type], body: body)
    }
}
