/// A TOM account as `auth_user` and `auth_user_groups` hold it.
public struct TOMUser: Sendable, Equatable {
    public var id: Int32
    public var username: String
    public var isSuperuser: Bool
    public var isActive: Bool
    /// Member of the group `Broker`.
    public var isBroker: Bool

    /// The TOM's rule for pushing broker messages: members of `Broker`, the user `apibroker`,
    /// and superusers.
    public var mayPushBrokerMessages: Bool { isActive && (isBroker || isSuperuser || username == "apibroker") }
}
