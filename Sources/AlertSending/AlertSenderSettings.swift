import Foundation

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
    /// Threads that encode a batch's alerts (`-n/--num-reconstruct-processes`).
    public var encodingThreads: Int

    public init(
        mode: SendWindow.Mode, startDay: Double? = nil, topics: AlertTopics = AlertTopics(), flushEvery: Int = 5000,
        logEvery: Int = 10000, dryRun: Bool = false, statusDirectory: String? = nil, rate: Double? = nil, progressBar: Bool = false,
        encodingThreads: Int = ProcessInfo.processInfo.activeProcessorCount
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
        self.encodingThreads = encodingThreads
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
    /// Alerts left unsent because no message can be built for them (see `unbuildableAlertIds`).
    public var alertsUnbuildable = 0
    /// The first `unbuildableIdsKept` of them, for the report.
    public var unbuildableAlertIds: [Int64] = []
    public static let unbuildableIdsKept = 100
    public var messagesPerTopic: [String: Int] = [:]
    public var bytesPerTopic: [String: Int] = [:]
    public var seconds = 0.0

    public var alertsPerSecond: Double { seconds > 0 ? Double(alertsSent) / seconds : 0 }

    /// The run's result as JSON, the contract for scripts and monitoring (`--summary-json`):
    /// outcome, window, alerts in the window, alerts sent, messages and bytes per topic, seconds.
    public func json(topics: AlertTopics) throws -> Data {
        struct Document: Encodable {
            var outcome: String
            var windowStart: Double?
            var windowThrough: Double?
            var alertsInWindow: [String: Int]
            var alertsSent: Int
            var alertsUnbuildable: Int
            var unbuildableAlertIds: [Int64]
            var messagesPerTopic: [String: Int]
            var bytesPerTopic: [String: Int]
            var seconds: Double
            var alertsPerSecond: Double
        }
        let outcomeName =
            switch outcome {
            case .completed: "completed"
            case .dryRun: "dry_run"
            case .anotherRunHoldsTheLock: "another_run_holds_the_lock"
            case .stopped: "stopped"
            }
        var messages = messagesPerTopic
        var bytes = bytesPerTopic
        for topic in topics.all {
            messages[topic, default: 0] += 0
            bytes[topic, default: 0] += 0
        }
        let document = Document(
            outcome: outcomeName, windowStart: window?.start, windowThrough: window?.through,
            alertsInWindow: ["wfd": alertsInWindow.wfd, "ddf": alertsInWindow.ddf], alertsSent: alertsSent,
            alertsUnbuildable: alertsUnbuildable, unbuildableAlertIds: unbuildableAlertIds,
            messagesPerTopic: messages, bytesPerTopic: bytes, seconds: seconds, alertsPerSecond: alertsPerSecond)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try encoder.encode(document)
    }
}

public struct AlertSendError: Error, CustomStringConvertible {
    /// The run completed, but left alerts unsent that no message can be built for.
    public var isUnbuildableAlerts = false
    public var description: String

    public init(isUnbuildableAlerts: Bool = false, description: String) {
        self.isUnbuildableAlerts = isUnbuildableAlerts
        self.description = description
    }
}
