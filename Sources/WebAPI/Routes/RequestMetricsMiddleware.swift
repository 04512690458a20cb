import Hummingbird
import Metrics

/// Counts elasticc-api's requests by route (the route's pattern, never the raw path), method
/// and status, and times them by route and method.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    static let requests = "elasticc_api_requests_total"
    static let duration = "elasticc_api_request_duration_seconds"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let route = context.endpointPath ?? "unknown"
        let status: String
        defer {
            Counter(label: Self.requests, dimensions: [("route", route), ("method", request.method.rawValue), ("status", status)]).increment()
            Metrics.Timer(label: Self.duration, dimensions: [("route", route), ("method", request.method.rawValue)]).record(
                duration: ContinuousClock.now - started)
        }
        do {
            let response = try await next(request, context)
            status = String(response.status.code)
            return response
        } catch let error as HTTPResponseError {
            status = String(error.status.code)
            throw error
        } catch {
            status = "500"
            throw error
        }
    }
}
