import Hummingbird
import Postgres

/// Finds the user of the request's `sessionid` cookie, on a pooled connection's thread.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let pool: PostgresPool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let key = request.cookies["sessionid"]?.value, !key.isEmpty {
            context.user = try await pool.withConnection { connection in
                try await connection.run { connection in try SessionStore.user(forSession: key, on: connection) }
            }
        }
        return try await next(request, context)
    }
}
