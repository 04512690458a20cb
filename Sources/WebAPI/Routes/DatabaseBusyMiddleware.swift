import Hummingbird
import Postgres

/// A request that waited its whole lease timeout for a database connection gets 503 and a
/// `Retry-After`, not a 500: the server is busy, not broken.
struct DatabaseBusyMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let busy as PostgresPool.LeaseTimedOut {
            var response = APIResponses.error(.serviceUnavailable, "the server is busy: \(busy.description); try again shortly")
            response.headers[.retryAfter] = "5"
            return response
        }
    }
}
