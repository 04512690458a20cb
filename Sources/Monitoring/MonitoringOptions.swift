import ArgumentParser

/// `--metrics-listen HOST:PORT`: where `/metrics`, `/health` and `/ready` are served (off
/// without it).
public struct MonitoringOptions: ParsableArguments, Sendable {
    @Option(
        help: ArgumentHelp("Serve /metrics (Prometheus), /health and /ready on this address, as 127.0.0.1:9464.", valueName: "host:port"))
    public var metricsListen: String?

    public init() {}

    public func validate() throws {
        if metricsListen != nil, address == nil { throw ValidationError("--metrics-listen must look like HOST:PORT, as 0.0.0.0:9464.") }
    }

    /// The address asked for, if any.
    public var address: (host: String, port: Int)? { metricsListen.flatMap(Self.hostAndPort) }

    /// `HOST:PORT` (`[::1]:80` too), or nil when it is not one.
    public static func hostAndPort(_ listen: String) -> (host: String, port: Int)? {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        let host = String(listen[..<colon]).trimmingCharacters(in: ["[", "]"])
        return host.isEmpty ? nil : (host, port)
    }
}
