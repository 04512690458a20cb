import Hummingbird
import Postgres
import Scoring

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
        page(router, "/elasticc2/confmatrixlatest") { connection in try ConfusionMatrixPage.html(settleSeconds: settle, on: connection) }
        router.get("/elasticc2/confmatrixlatest.json") { request, context in
            guard context.user != nil else { return Self.loginRedirect(request) }
            let json = try await pool.withConnection { connection in
                try await connection.run { connection in try ConfusionMatrixPage.json(on: connection) }
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: json)))
        }
        // The TOM serves these as static files, without a login: so do we.
        router.get(RouterPath("\(ConfusionMatrixPage.svgDirectory)/:file")) { _, context in
            let file = context.parameters.get("file") ?? ""
            guard let (classifierId, normalisation) = Self.heatMapFile(file) else {
                return APIResponses.error(
                    .notFound, "no such file: \(file.prefix(100)) (the files are CLASSIFIER_axnorm0.svg and CLASSIFIER_axnorm1.svg)")
            }
            let svg = try await pool.withConnection { connection in
                try await connection.run { connection in try ConfusionMatrixPage.svg(classifierId: classifierId, normalisation, on: connection) }
            }
            guard let svg else { return APIResponses.error(.notFound, "no classifier \(classifierId)") }
            return Response(status: .ok, headers: [.contentType: "image/svg+xml"], body: .init(byteBuffer: ByteBuffer(string: svg)))
        }
    }

    /// `{classifier_id}_axnorm{0|1}.svg`.
    static func heatMapFile(_ name: String) -> (Int64, ConfusionMatrix.Normalisation)? {
        guard name.hasSuffix(".svg"), let marker = name.range(of: "_axnorm") else { return nil }
        guard let classifierId = Int64(name[..<marker.lowerBound]),
            let axis = Int(name[marker.upperBound..<name.index(name.endIndex, offsetBy: -4)]),
            let normalisation = ConfusionMatrix.Normalisation(rawValue: axis)
        else { return nil }
        return (classifierId, normalisation)
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
