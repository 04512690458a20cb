/// What `elasticc-api serve` is told: limits and session lifetime.
public struct APISettings: Sendable {
    /// The largest request body accepted (a PUT of broker messages); larger ones get 413.
    public static let maximumBodyBytes = 32 << 20
    /// How long a login lasts (Django's default, two weeks).
    public var sessionLifetime: Duration = .seconds(14 * 24 * 3600)
    /// The diagnostic pages count broker messages once they are this old (see `StreamSummary`).
    public var summarySettleSeconds = 120
    /// `db/runsqlquery/`: connects as a read-only role that reads the broker and taxonomy tables;
    /// nil leaves the endpoint off (503).
    public var sqlQueries: ReadOnlyQueryRunner?
    /// `db/runsqlquery/` for members of `elasticc_admin`: a read-only role that reads every
    /// science table; nil: they too get `sqlQueries`.
    public var sqlAdminQueries: ReadOnlyQueryRunner?
    /// `db/submitsqlquery/` and its queue; the queries run as `sqlQueries`' and `sqlAdminQueries`' roles.
    public var longQueries = LongQuerySettings()
    /// Mark the session and CSRF cookies `Secure` (behind HTTPS).
    public var secureCookies = false
    /// The server's public address (`https://tom.example.org`): the base of `Location` headers
    /// (relative without it) and an origin unsafe requests may come from.
    public var publicURL: String?
    /// More origins unsafe requests may come from (Django's `CSRF_TRUSTED_ORIGINS`).
    public var trustedOrigins: [String] = []
    /// Label request metrics with broker account names (off: the metrics listener has no login).
    public var metricsPerUser = false

    public init() {}
}
