import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Django 4's CSRF rule for unsafe methods: an `Origin` header, when sent, must be the server's
/// own (its `Host` under its scheme, `--public-url`) or a trusted origin; the `csrftoken` cookie
/// must be there and the `X-CSRFToken` header must match it (the login form may carry the token
/// as a form field instead; its handler checks that). Refusals are 403 and name the reason.
/// Requests with HTTP Basic and no session are DRF's to judge, as in the TOM.
struct CSRFMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    static let header = HTTPField.Name("X-CSRFToken")!
    static let origin = HTTPField.Name("Origin")!
    static let loginPath = "/accounts/login"
    let settings: APISettings
    let logger: Logger

    init(settings: APISettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    /// Origins unsafe requests may come from, besides the request's own host.
    private var trusted: Set<String> {
        Set((settings.trustedOrigins + (settings.publicURL.map { [$0] } ?? [])).map(Self.originPart))
    }

    /// `https://tom.example.org/path` → `https://tom.example.org`.
    static func originPart(_ url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return url }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard [.post, .put, .patch, .delete].contains(request.method) else { return try await next(request, context) }
        let path = request.uri.path.hasSuffix("/") ? String(request.uri.path.dropLast()) : request.uri.path
        // DRF's rule for its views: HTTP Basic without a session is no cookie login, so there is
        // nothing to forge (only the PPDB views take Basic, and they only read).
        if request.cookies["sessionid"] == nil, request.headers[.authorization]?.lowercased().hasPrefix("basic ") == true {
            return try await next(request, context)
        }
        if let origin = request.headers[Self.origin] {
            let scheme = settings.secureCookies || settings.publicURL?.hasPrefix("https:") == true ? "https" : "http"
            let own = request.head.authority.map { "\(scheme)://\($0)" }
            guard origin == own || trusted.contains(origin) else {
                return refuse(request, context, "Origin checking failed - \(origin) does not match any trusted origins.")
            }
        }
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
