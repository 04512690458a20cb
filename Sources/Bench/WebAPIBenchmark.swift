import AsyncHTTPClient
import Foundation
import Postgres

/// The ELAsTiCC2 web API under load, against a running elasticc-api on a promoted database:
/// the light curves of `batchObjects` objects in one request, `gethottransients` over the last
/// 30 days of the data, and `clients` concurrent clients each asking for single light curves.
struct WebAPIBenchmark: Sendable {
    var url: String
    var username: String
    var password: String
    var database: String
    var batchObjects = 1000
    var clients = 100
    var requestsPerClient = 50

    struct Figures: Codable {
        var batchObjects: Int
        var batchPoints: Int
        var batchBytes: Int
        var batchMedianSeconds: Double
        var batchMaxSeconds: Double
        var hotObjects: Int
        var hotPoints: Int
        var hotMedianSeconds: Double
        var hotMaxSeconds: Double
        var singleRequests: Int
        var singlePerSecond: Double
        var singleP50Seconds: Double
        var singleP99Seconds: Double
    }

    func run() async throws -> Figures {
        // Objects with photometry, and the data's "now": the last detection.
        let connection = try await PostgresConnection.open(database, applicationName: "bench web-api")
        let picked = try await connection.query(
            "SELECT diaobject_id FROM elasticc2_diaobject ORDER BY hashint8(diaobject_id) LIMIT \(max(batchObjects, 5000))",
            statement: "pick objects")
        let objects: [Int64] = try picked.rows.map { try $0.decode(Int64.self) }
        let mjdNow = try await connection.query("SELECT max(midpointtai) FROM elasticc2_diasource", statement: "now").single(Double.self)
        guard objects.count >= batchObjects else { throw RESTPushBenchmark.Failure(description: "only \(objects.count) promoted objects") }

        let http = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: clients)))
        do {
            let figures = try await measure(http, objects: objects, mjdNow: mjdNow)
            try await http.shutdown()
            return figures
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    private func measure(_ http: HTTPClient, objects: [Int64], mjdNow: Double) async throws -> Figures {
        let session = try await TOMLogin.logIn(http, url: url, username: username, password: password)
        let url = self.url
        func post(_ path: String, _ body: String) async throws -> (seconds: Double, body: String) {
            var request = HTTPClientRequest(url: url + path)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Cookie", value: session.cookie)
            request.headers.add(name: "X-CSRFToken", value: session.csrf)
            request.body = .bytes(Array(body.utf8))
            let sent = ContinuousClock.now
            let response = try await http.execute(request, timeout: .seconds(120))
            let answer = try await response.body.collect(upTo: 1 << 30)
            guard response.status.code == 200 else {
                throw RESTPushBenchmark.Failure(description: "\(path) answered \(response.status.code): \(String(buffer: answer).prefix(300))")
            }
            return ((ContinuousClock.now - sent) / .seconds(1), String(buffer: answer))
        }
        func count(_ answer: String) throws -> (objects: Int, points: Int) {
            let document = try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any]
            let curves = document?["diaobject"] as? [[String: Any]] ?? []
            return (curves.count, curves.reduce(0) { $0 + (($1["photometry"] as? [String: Any])?["mjd"] as? [Any] ?? []).count })
        }

        let batchBody = "{\"objectids\": [\(objects.prefix(batchObjects).map(String.init).joined(separator: ","))]}"
        var batchTimes: [Double] = []
        var batch = (objects: 0, points: 0, bytes: 0)
        for _ in 0..<7 {
            let (seconds, answer) = try await post("/elasticc2/ltcv", batchBody)
            batchTimes.append(seconds)
            let counted = try count(answer)
            batch = (counted.objects, counted.points, answer.utf8.count)
        }
        var hotTimes: [Double] = []
        var hot = (objects: 0, points: 0)
        for _ in 0..<5 {
            let (seconds, answer) = try await post("/elasticc2/gethottransients", "{\"detected_in_last_days\": 30, \"mjd_now\": \(mjdNow)}")
            hotTimes.append(seconds)
            hot = try count(answer)
        }

        let (clients, perClient) = (self.clients, requestsPerClient)
        let started = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for client in 0..<clients {
                group.addTask {
                    var latencies: [Double] = []
                    for request in 0..<perClient {
                        let object = objects[(client * perClient + request) % objects.count]
                        latencies.append(try await post("/elasticc2/ltcv", "{\"objectid\": \(object)}").seconds)
                    }
                    return latencies
                }
            }
            var all: [Double] = []
            for try await some in group { all += some }
            return all.sorted()
        }
        let elapsed = (ContinuousClock.now - started) / .seconds(1)
        func percentile(_ values: [Double], _ p: Double) -> Double {
            let sorted = values.sorted()
            return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
        }
        return Figures(
            batchObjects: batch.objects, batchPoints: batch.points, batchBytes: batch.bytes, batchMedianSeconds: percentile(batchTimes, 0.5),
            batchMaxSeconds: batchTimes.max() ?? 0, hotObjects: hot.objects, hotPoints: hot.points, hotMedianSeconds: percentile(hotTimes, 0.5),
            hotMaxSeconds: hotTimes.max() ?? 0, singleRequests: latencies.count, singlePerSecond: Double(latencies.count) / elapsed,
            singleP50Seconds: percentile(latencies, 0.5), singleP99Seconds: percentile(latencies, 0.99))
    }
}
