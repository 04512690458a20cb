import AsyncHTTPClient
import Foundation

/// Brokers pushing over HTTP: `clients` concurrent sessions, each logging in as TomClient does
/// and PUTting `batches` batches of `batchSize` new messages (1–25 classifications each) to a
/// running elasticc-api; messages stored per second and the request latencies.
struct RESTPushBenchmark: Sendable {
    var url: String
    var username: String
    var password: String
    var clients: Int
    var batches: Int
    var batchSize: Int

    struct Figures: Codable {
        var messages: Int
        var seconds: Double
        var perSecond: Double
        var p50Seconds: Double
        var p99Seconds: Double
        var maxSeconds: Double
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func run() async throws -> Figures {
        let http = HTTPClient.shared
        var sessions: [(csrf: String, cookie: String)] = []
        for _ in 0..<clients { sessions.append(try await TOMLogin.logIn(http, url: url, username: username, password: password)) }
        let (url, batches, batchSize) = (self.url, self.batches, self.batchSize)
        // The bodies are made before the clock starts: the figure is the server's.
        let bodies: [[[UInt8]]] = (0..<sessions.count).map { client in
            (0..<batches).map { batch in Array(Self.body(first: Int64((client * batches + batch) * batchSize) + 10_000_000, count: batchSize).utf8) }
        }
        let started = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for (client, session) in sessions.enumerated() {
                group.addTask {
                    var latencies: [Double] = []
                    for body in bodies[client] {
                        var request = HTTPClientRequest(url: url + "/elasticc2/brokermessage/")
                        request.method = .PUT
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.headers.add(name: "Cookie", value: session.cookie)
                        request.headers.add(name: "X-CSRFToken", value: session.csrf)
                        request.body = .bytes(body)
                        let sent = ContinuousClock.now
                        let response = try await http.execute(request, timeout: .seconds(120))
                        let answer = try await response.body.collect(upTo: 1 << 20)
                        guard response.status.code == 201 else {
                            throw Failure(description: "PUT answered \(response.status.code): \(String(buffer: answer))")
                        }
                        latencies.append((ContinuousClock.now - sent) / .seconds(1))
                    }
                    return latencies
                }
            }
            var all: [Double] = []
            for try await some in group { all += some }
            return all
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        let sorted = latencies.sorted()
        let messages = clients * batches * batchSize
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        return Figures(
            messages: messages, seconds: seconds, perSecond: Double(messages) / seconds, p50Seconds: percentile(0.5),
            p99Seconds: percentile(0.99), maxSeconds: sorted.last ?? 0)
    }

    /// `count` new messages for alerts `first…`, with 1 to 25 classifications each.
    static func body(first: Int64, count: Int) -> String {
        var text = "["
        text.reserveCapacity(count * 700)
        for index in 0..<count {
            let alert = first + Int64(index)
            let classes = (0..<(1 + Int(alert % 25))).map { "{\"classId\": \(2222 + $0), \"probability\": 0.04}" }.joined(separator: ", ")
            if index > 0 { text += "," }
            text += """
                {"alertId": \(alert), "diaSourceId": \(alert), "elasticcPublishTimestamp": 1700000000000, "brokerIngestTimestamp": 1700000000500.5,
                 "brokerPublishTimestamp": 1700000001000, "brokerName": "BenchBroker", "brokerVersion": "1", "classifierName": "c\(alert % 3)",
                 "classifierParams": "p", "classifications": [\(classes)]}
                """
        }
        return text + "]"
    }
}
