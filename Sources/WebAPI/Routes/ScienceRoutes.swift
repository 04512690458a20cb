import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Postgres

/// The seed's ELAsTiCC2 web API (light curves, hot transients, spectrum coordination,
/// classifiers, alerts) and `db/runsqlquery/`, at the TOM's URLs. Every answer is computed on
/// a pooled connection's own thread; bad parameters get 400 naming the parameter.
extension ElasticcAPIServer {
    typealias ScienceAnswer = @Sendable (RequestParameters, TOMUser, PostgresConnection) throws -> [UInt8]

    /// Request bodies of these endpoints are small (ids, filters, SQL).
    static let maximumQueryBodyBytes = 4 << 20

    func addScienceRoutes(to router: Router<APIRequestContext>) {
        let readBoth: [HTTPRequest.Method] = [.get, .post]
        route(router, "/elasticc2/ltcv", readBoth) { parameters, _, connection in try LightCurveEndpoint.answer(parameters, on: connection) }
        route(router, "/elasticc2/ltcvs", readBoth) { parameters, _, connection in try LightCurveEndpoint.answer(parameters, on: connection) }
        for method in readBoth {
            // Large answers: read on several pooled connections side by side.
            router.on("/elasticc2/gethottransients", method: method) { request, context in
                try await answer(request, context) { parameters, _ in try await HotTransientsEndpoint.answer(parameters, pool: pool) }
            }
        }
        // The TOM ignores unknown parameters of these (refusing only on ltcv and gethottransients):
        // so do we, saying so in the log, so that a script that worked there works here.
        route(router, "/elasticc2/askforspectrum", [.post], ignoringOtherThan: SpectrumRequestEndpoint.parameters) { parameters, user, connection in
            try SpectrumRequestEndpoint.answer(parameters, userId: user.id, on: connection)
        }
        route(router, "/elasticc2/spectrawanted", [.post], ignoringOtherThan: WantedSpectraEndpoint.parameters) { parameters, _, connection in
            try WantedSpectraEndpoint.answer(parameters, on: connection)
        }
        route(router, "/elasticc2/planspectrum", [.post], ignoringOtherThan: SpectrumPlanEndpoint.planParameters) { parameters, _, connection in
            try SpectrumPlanEndpoint.plan(parameters, on: connection)
        }
        route(router, "/elasticc2/removespectrumplan", [.post], ignoringOtherThan: SpectrumPlanEndpoint.removeParameters) {
            parameters, _, connection in
            try SpectrumPlanEndpoint.remove(parameters, on: connection)
        }
        route(router, "/elasticc2/reportspectruminfo", [.post], ignoringOtherThan: SpectrumReportEndpoint.parameters) { parameters, _, connection in
            try SpectrumReportEndpoint.answer(parameters, on: connection)
        }
        route(router, "/elasticc2/getknownspectruminfo", [.post], ignoringOtherThan: KnownSpectraEndpoint.parameters) { parameters, _, connection in
            try KnownSpectraEndpoint.answer(parameters, on: connection)
        }
        route(router, "/elasticc2/ltcvfeatures", readBoth, ignoringOtherThan: LightCurveFeaturesEndpoint.parameters) { parameters, _, connection in
            try LightCurveFeaturesEndpoint.answer(parameters, on: connection)
        }
        route(router, "/elasticc2/getalert", readBoth, ignoringOtherThan: AlertLookupEndpoint.parameters) { parameters, _, connection in
            try AlertLookupEndpoint.answer(parameters, on: connection)
        }
        for method in readBoth {
            router.on("/elasticc2/classids", method: method) { request, context in
                // The TOM's LoginRequiredMixin: strangers go to the login form.
                guard context.user != nil else { return Self.loginRedirect(request) }
                return try await answer(request, context) { _, _, connection in try ClassIdsEndpoint.answer(on: connection) }
            }
            router.on("/elasticc2/classifiers_json", method: method) { request, context in
                // A page of the TOM's that sends strangers to the login form rather than a 403.
                guard context.user != nil else { return Self.loginRedirect(request) }
                return try await answer(request, context) { _, _, connection in try ClassifierListEndpoint.answer(on: connection) }
            }
        }
        for method in readBoth {
            router.on("/elasticc2/brokerclassfortruetype/:format/:what/:classifier/:classid", method: method) { request, context in
                try await classificationsForTrueType(request, context)
            }
        }
        router.post("/db/runsqlquery") { request, context in try await runSQLQuery(request, context) }
        router.get("/db/runsqlquery") { _, _ in Self.methodNotAllowed(allowed: [.post]) }
    }

    /// `ignoringOtherThan`: parameters the TOM reads there; others are dropped (and logged) rather than refused.
    private func route(
        _ router: Router<APIRequestContext>, _ path: String, _ methods: [HTTPRequest.Method], ignoringOtherThan known: Set<String>? = nil,
        _ body: @escaping ScienceAnswer
    ) {
        for method in methods {
            router.on(RouterPath(path), method: method) { request, context in try await answer(request, context, ignoringOtherThan: known, body) }
        }
        if !methods.contains(.get) {
            router.get(RouterPath(path)) { _, _ in Self.methodNotAllowed(allowed: methods) }
        }
    }

    static func methodNotAllowed(allowed: [HTTPRequest.Method]) -> Response {
        var response = APIResponses.error(.methodNotAllowed, "use \(allowed.map(\.rawValue).joined(separator: " or "))")
        response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
        return response
    }

    /// Login, body, parameters, then the endpoint on a pooled connection's thread.
    private func answer(
        _ request: Request, _ context: APIRequestContext, ignoringOtherThan known: Set<String>? = nil, _ body: @escaping ScienceAnswer
    ) async throws -> Response {
        try await answer(request, context, ignoringOtherThan: known) { parameters, user in
            try await pool.withConnection { connection in try await connection.run { connection in try body(parameters, user, connection) } }
        }
    }

    /// Login, body and parameters checked, then `body` makes the JSON answer.
    private func answer(
        _ request: Request, _ context: APIRequestContext, ignoringOtherThan known: Set<String>? = nil,
        _ body: @escaping @Sendable (RequestParameters, TOMUser) async throws -> [UInt8]
    ) async throws -> Response {
        guard let user = context.user else { return refuse(request, nil, .forbidden, "log in first (/accounts/login/)") }
        let parameters: RequestParameters
        do {
            let bytes = try await request.body.collect(upTo: Self.maximumQueryBodyBytes)
            let parsed = try RequestParameters.parse(Data(buffer: bytes))
            if let known, case let ignored = Set(parsed.values.keys).subtracting(known).sorted(), !ignored.isEmpty {
                logger.notice(
                    "Unknown parameters ignored, as the TOM ignores them here",
                    metadata: ["path": "\(request.uri.path)", "user": "\(user.username)", "ignored": "\(ignored.joined(separator: ","))"])
                parameters = RequestParameters(parsed.values.filter { known.contains($0.key) })
            } else {
                parameters = parsed
            }
        } catch let error as APIParameterError {
            return refuse(request, user, .badRequest, error.description)
        } catch {
            return refuse(request, user, .contentTooLarge, "the body is larger than \(Self.maximumQueryBodyBytes) bytes")
        }
        do {
            let json = try await body(parameters, user)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: json)))
        } catch let error as APIParameterError {
            return refuse(request, user, .badRequest, error.description)
        } catch let error as APINotFound {
            return refuse(request, user, .notFound, error.description)
        }
    }

    /// The TOM's checks in its order — the `what`, then whether it has data for the classifier and
    /// class — except that `pickle` is refused before anything is computed (any other format is JSON).
    func classificationsForTrueType(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        guard let user = context.user else { return Self.loginRedirect(request) }
        // Django's <int:…> converters: anything else is no such page.
        guard let classifierId = context.parameters.get("classifier").flatMap({ Int64($0) }),
            let classId = context.parameters.get("classid").flatMap({ Int64($0) })
        else { return refuse(request, user, .notFound, "classifier_id and classid must be whole numbers") }
        let what = context.parameters.get("what") ?? ""
        guard TrueTypeClassificationsEndpoint.whats.contains(what) else {
            return refuse(request, user, .badRequest, TrueTypeClassificationsEndpoint.unknownWhat(what))
        }
        guard context.parameters.get("format") != "pickle" else {
            return refuse(
                request, user, .badRequest,
                "pickle is not offered here (unpickling runs whatever the file says); ask for json and read it with pandas.DataFrame.from_dict(answer, orient='tight')"
            )
        }
        let json = try await pool.withConnection { connection in
            try await connection.run { connection in
                try TrueTypeClassificationsEndpoint.answer(what: what, classifierId: classifierId, classId: classId, on: connection)
            }
        }
        guard let json else {
            return refuse(request, user, .badRequest, "Can't find data file for classifier \(classifierId), class \(classId)")
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: json)))
    }

    func runSQLQuery(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        guard let user = context.user else { return refuse(request, nil, .forbidden, "log in first (/accounts/login/)") }
        // The TOM README's rule: only elasticc_admin reads beyond the broker tables.
        guard let runner = user.isElasticcAdmin ? settings.sqlAdminQueries ?? settings.sqlQueries : settings.sqlQueries else {
            return refuse(request, user, .serviceUnavailable, "runsqlquery is not configured here (elasticc-api serve --sql-query-db)")
        }
        let query: SQLQueryRequest
        do {
            let bytes = try await request.body.collect(upTo: Self.maximumQueryBodyBytes)
            let document: JSONValue
            do { document = try JSONValue.parse(Data(buffer: bytes)) } catch {
                return refuse(request, user, .badRequest, "the body is not valid JSON: \(error)")
            }
            query = try SQLQueryRequest(document)
        } catch let error as SQLQueryRequest.Invalid {
            return refuse(request, user, .badRequest, error.description)
        } catch {
            return refuse(request, user, .contentTooLarge, "the body is larger than \(Self.maximumQueryBodyBytes) bytes")
        }
        let answer = await runner.run(query, user: user.username)
        if answer.isTooManyQueries {
            return Response(
                status: .tooManyRequests, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: answer.json)))
        }
        if answer.isError {
            logger.notice(
                "SQL query refused or failed", metadata: ["user": "\(user.username)", "answer": "\(String(decoding: answer.json, as: UTF8.self))"])
        }
        // The TOM answers SQL errors with 200 and status "error"; tom_client users check that.
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: answer.json)))
    }
}
