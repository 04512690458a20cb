import Postgres

/// A TOM account as `auth_user` and `auth_user_groups` hold it.
public struct TOMUser: Sendable, Equatable {
    public var id: Int32
    public var username: String
    public var isSuperuser: Bool
    public var isActive: Bool
    /// Member of the group `Broker`.
    public var isBroker: Bool
    /// Member of the group `elasticc_admin`: its SQL reads every `elasticc2_*` table.
    public var isElasticcAdmin: Bool = false

    /// `auth_user.username` is `varchar(150)`: characters as PostgreSQL counts them, code points.
    public static let maximumUsernameLength = 150

    /// The TOM's rule for pushing broker messages: members of `Broker`, the user `apibroker`,
    /// and superusers.
    public var mayPushBrokerMessages: Bool { isActive && (isBroker || isSuperuser || username == "apibroker") }
}

extension TOMUser {
    /// A row holding `UserDirectory.userColumns`.
    init(_ row: PostgresRow) throws {
        self.init(
            id: try row.decode(column: "id"), username: try row.decode(column: "username"), isSuperuser: try row.decode(column: "is_superuser"),
            isActive: try row.decode(column: "is_active"), isBroker: try row.decode(column: "is_broker"),
            isElasticcAdmin: try row.decode(column: "is_elasticc_admin"))
    }
}
