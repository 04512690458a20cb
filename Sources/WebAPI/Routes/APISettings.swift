/// What `elasticc-api serve` is told: limits and session lifetime.
public struct APISettings: Sendable {
    /// The largest request body accepted (a PUT of broker messages); larger ones get 413.
    public static let maximumBodyBytes = 32 << 20
    /// How long a login lasts (Django's default, two weeks).
    public var sessionLifetime: Duration = .seconds(14 * 24 * 3600)
    /// The diagnostic pages count broker messages once they are this old (see `StreamSummary`).
    public var summarySettleSeconds = 120
    /// `db/runsqlquery/`: connects as a read-only role; nil leaves the endpoint off (503).
    public var sqlQueries: ReadOnlyQueryRunner?

    public init() {}
}
