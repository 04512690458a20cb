import Foundation

/// Reading what the services show: Prometheus text through the reference parser, HTTP status.
public enum PrometheusScrape {
    public struct Unreadable: Error, CustomStringConvertible {
        public var description: String
    }

    static func require<T>(_ value: T?) throws -> T {
        guard let value else { throw Unreadable(description: "unexpected output from the scrape helper") }
        return value
    }

    /// Metric samples as prometheus-client parsed them.
    public struct Scrape: Sendable {
        public var contentType: String
        public var families: [String: String]
        public var samples: [(name: String, labels: [String: String], value: Double)]

        /// The sum of a sample's values over the series whose labels include `matching`.
        public func sum(_ name: String, _ matching: [String: String] = [:]) -> Double {
            samples.filter { sample in sample.name == name && matching.allSatisfy { sample.labels[$0.key] == $0.value } }.reduce(0) { $0 + $1.value }
        }

        public func has(_ name: String) -> Bool { samples.contains { $0.name == name } }
    }

    /// Parses a `/metrics` URL or a textfile with prometheus-client (Tests/Interop/scrape_metrics.py).
    public static func read(_ source: String) async throws -> Scrape {
        let output = try await TestEnvironment.runPython(script: "scrape_metrics.py", arguments: [source], input: "")
        let document = try require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        let samples = (document["samples"] as? [[String: Any]] ?? []).map { sample in
            (sample["name"] as? String ?? "", sample["labels"] as? [String: String] ?? [:], (sample["value"] as? NSNumber)?.doubleValue ?? .nan)
        }
        return Scrape(
            contentType: document["content_type"] as? String ?? "", families: document["families"] as? [String: String] ?? [:], samples: samples)
    }

    /// A port nobody listens on now (the system's choice, released for the service to take).
    public static func freePort() async throws -> Int {
        let output = try await TestEnvironment.run([
            "python3", "-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])",
        ])
        return try require(Int(output.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// An HTTP GET: status code and body.
    public static func status(_ url: String) async throws -> (code: Int, body: String) {
        let output = try await TestEnvironment.run([
            "python3", "-c",
            """
            import sys, urllib.request, urllib.error
            try:
                r = urllib.request.urlopen(sys.argv[1], timeout=10); print(r.status); print(r.read().decode())
            except urllib.error.HTTPError as e:
                print(e.code); print(e.read().decode())
            """, url,
        ])
        let lines = output.split(separator: "\n", maxSplits: 1)
        return (Int(lines.first ?? "") ?? 0, lines.count > 1 ? String(lines[1]) : "")
    }
}
