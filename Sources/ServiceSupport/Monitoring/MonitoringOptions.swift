import ArgumentParser

/// `--metrics-listen HOST:PORT` (or `METRICS_LISTEN`): where `/metrics`, `/health` and `/ready`
/// are served (off without either).
public struct MonitoringOptions: ParsableArguments, Sendable {
    @Option(
        help: ArgumentHelp(
            "Serve /metrics (Prometheus), /health and /ready on this address, as 127.0.0.1:9464; by default METRICS_LISTEN's, else none.",
            valueName: "host:port"))
    public var metricsListen: String?

    @Option(
        help: ArgumentHelp(
            "/health answers 503 once the tool's main loop (broker-poll's, fake-broker's) has not gone round for this long: a wedged process, for an orchestrator to restart.",
            valueName: "seconds"))
    public var healthStallSeconds: Double = 300

    public init() {}

    public func validate() throws {
        if let listen = metricsListen ?? Self.environmentListen, Self.hostAndPort(listen) == nil {
            throw ValidationError("\(metricsListen == nil ? "METRICS_LISTEN" : "--metrics-listen") must look like HOST:PORT, as 0.0.0.0:9464.")
        }
        guard healthStallSeconds > 0 else { throw ValidationError("--health-stall-seconds must be positive.") }
    }

    /// `/health`'s judgement of a main loop that reports when it last went round.
    public func liveness(_ lastProgress: @escaping @Sendable () -> ContinuousClock.Instant) -> MonitoringServer.Liveness {
        MonitoringServer.Liveness(stallAfter: .milliseconds(Int(healthStallSeconds * 1000)), lastProgress: lastProgress)
    }

    /// The address asked for, if any. The environment's serves a deployment where the services
    /// share one network (podman's host network), each given its own port without a new command.
    public var address: (host: String, port: Int)? { (metricsListen ?? Self.environmentListen).flatMap(Self.hostAndPort) }

    static var environmentListen: String? { DeploymentEnvironment.value("METRICS_LISTEN") }

    /// `HOST:PORT` (`[::1]:80` too), or nil when it is not one.
    public static func hostAndPort(_ listen: String) -> (host: String, port: Int)? {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        let host = String(listen[..<colon]).trimmingCharacters(in: ["[", "]"])
        return host.isEmpty ? nil : (host, port)
    }
}
