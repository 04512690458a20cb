import Hummingbird
import Postgres

/// The TOM's diagnostic pages at its URLs; login required (the admin summary: superusers), as
/// in the TOM. Strangers are sent to the login form.
extension ElasticcAPIServer {
    func addPageRoutes(to router: Router<APIRequestContext>) {
        let settle = settings.summarySettleSeconds
        page(router, "/elasticc2") { _ in DiagnosticPages.index() }
        page(router, "/elasticc2/brokercompleteness") { connection in try DiagnosticPages.completeness(settleSeconds: settle, on: connection) }
        page(router, "/elasticc2/brokertimedelays") { connection in try DiagnosticPages.timeDelays(settleSeconds: settle, on: connection) }
        page(router, "/elasticc2/alertstreamhists") { connection in try DiagnosticPages.alertStream(on: connection) }
        page(router, "/elasticc2/classifiers") { connection in try DiagnosticPages.classifiers(settleSeconds: settle, on: connection) }
        page(router, "/elasticc2/adminsummary", superuserOnly: true) { connection in try DiagnosticPages.adminSummary(on: connection) }
    }

    /// Where the TOM's pages send strangers: the login form, then back.
    static func loginRedirect(_ request: Request) -> Response {
        Response(status: .found, headers: [.location: "/accounts/login/?next=\(request.uri.path)"])
    }

    private func page(
        _ router: Router<APIRequestContext>, _ path: String, superuserOnly: Bool = false,
        _ render: @escaping @Sendable (PostgresConnection) throws -> String
    ) {
        router.get(RouterPath(path)) { request, context in
            guard let user = context.user else { return Self.loginRedirect(request) }
            guard !superuserOnly || user.isSuperuser else {
                return APIResponses.page(status: .forbidden, title: "Forbidden", body: "<p>This page is for administrators.</p>")
            }
            let html = try await pool.withConnection { connection in try await connection.run { connection in try render(connection) } }
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
        }
    }
}
