/// Where alerts go: WFD objects to one topic with full history; DDF objects to a full-history
/// and a limited-history topic.
public struct AlertTopics: Sendable, Equatable {
    public var wfd: String
    public var ddfFull: String
    public var ddfLimited: String

    public static let fullHistoryDays = 365.0
    public static let limitedHistoryDays = 30.0

    public init(wfd: String = "alerts-wfd", ddfFull: String = "alerts-ddf-full", ddfLimited: String = "alerts-ddf-limited") {
        self.wfd = wfd
        self.ddfFull = ddfFull
        self.ddfLimited = ddfLimited
    }

    public var all: [String] { [wfd, ddfFull, ddfLimited] }
}
