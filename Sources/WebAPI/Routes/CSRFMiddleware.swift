import HTTPTypes
import Hummingbird
import Logging

/// Django's CSRF rule for unsafe methods: the `csrftoken` cookie must be there and the
/// `X-CSRFToken` header must match it (the login form may carry the token as a form field
/// instead; its handler checks that). Refusals are 403 and name the reason.
struct CSRFMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    static let header = HTTPField.Name("X-CSRFToken")!
    static let loginPath = "/accounts/login"
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard [.post, .put, .patch, .delete].contains(request.method) else { return try await next(request, context) }
        let path = request.uri.path.hasSuffix("/") ? String(request.uri.path.dropLast()) : request.uri.path
        let cookie = request.cookies["csrftoken"]?.value
        guard let cookie, CSRFToken.isWellFormed(cookie) else { return refuse(request, context, "CSRF cookie not set.") }
        if let token = request.headers[Self.header] {
            guard CSRFToken.matches(token: token, cookie: cookie) else { return refuse(request, context, "CSRF token incorrect.") }
        } else if path != Self.loginPath {
            return refuse(request, context, "CSRF token missing.")
        }
        return try await next(request, context)
    }

    private func refuse(_ request: Request, _ context: Context, _ reason: String) -> Response {
        logger.notice(
            "Request refused", metadata: ["path": "\(request.uri.path)", "user": "\(context.user?.username ?? "-")", "reason": "\(reason)"])
        return APIResponses.error(.forbidden, "CSRF verification failed: \(reason)")
    }
}
