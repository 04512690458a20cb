/// What one run of the alert sender does.
public struct AlertSenderSettings: Sendable {
    public var mode: SendWindow.Mode
    public var startDay: Double?
    public var topics: AlertTopics
    /// Alerts per produce → acknowledge → mark cycle (`-f/--flush-every`).
    public var flushEvery: Int
    /// Alerts between progress log lines (`-l/--log-every`).
    public var logEvery: Int
    /// Without `--do`: report what would be sent, send and mark nothing.
    public var dryRun: Bool
    /// Where to write the TOM's status files, if anywhere.
    public var statusDirectory: String?
    /// Alerts per second to pace sending at (nil: as fast as possible).
    public var rate: Double?
    /// Draw a progress bar on stderr.
    public var progressBar: Bool

    public init(
        mode: SendWindow.Mode, startDay: Double? = nil, topics: AlertTopics = AlertTopics(), flushEvery: Int = 5000,
        logEvery: Int = 10000, dryRun: Bool = false, statusDirectory: String? = nil, rate: Double? = nil, progressBar: Bool = false
    ) {
        self.mode = mode
        self.startDay = startDay
        self.topics = topics
        self.flushEvery = flushEvery
        self.logEvery = logEvery
        self.dryRun = dryRun
        self.statusDirectory = statusDirectory
        self.rate = rate
        self.progressBar = progressBar
    }
}

/// What a run did.
public struct SendSummary: Sendable {
    public enum Outcome: Sendable, Equatable {
        case completed
        case dryRun
        case anotherRunHoldsTheLock
        case stopped
    }

    public var outcome: Outcome
    public var window: SendWindow?
    /// Alerts in the window at the start: (WFD objects, DDF objects).
    public var alertsInWindow: (wfd: Int, ddf: Int) = (0, 0)
    public var alertsSent = 0
    public var messagesPerTopic: [String: Int] = [:]
    public var bytesPerTopic: [String: Int] = [:]
    public var seconds = 0.0

    public var alertsPerSecond: Double { seconds > 0 ? Double(alertsSent) / seconds : 0 }
}

public struct AlertSendError: Error, CustomStringConvertible {
    public var description: String
}
