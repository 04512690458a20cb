import Postgres
import TOMDatabase

/// Server-side login sessions in a table of ours, keyed by the `sessionid` cookie's value (32
/// random characters, as Django's). Blocking: run on the connection's executor.
public enum SessionStore {
    /// A new session for `userId`, valid for `lifetime`; returns its key.
    public static func create(userId: Int32, lifetime: Duration, on connection: PostgresConnection) throws -> String {
        let key = RandomToken.make(length: 32, alphabet: RandomToken.lowercaseAlphanumerics)
        let seconds = Double(lifetime.components.seconds)
        try connection.query(
            """
            INSERT INTO \(unescaped: OwnTables.session) (session_key, user_id, expires_at)
            VALUES (\(key), \(userId), now() + \(seconds) * interval '1 second')
            """, statement: "create session")
        // Expired sessions go as new ones come: the table stays the size of the live ones.
        try connection.query("DELETE FROM \(unescaped: OwnTables.session) WHERE expires_at < now()", statement: "forget expired sessions")
        return key
    }

    /// Ends a session (logout, or a new login replacing it).
    public static func delete(_ key: String, on connection: PostgresConnection) throws {
        try connection.query("DELETE FROM \(unescaped: OwnTables.session) WHERE session_key = \(key)", statement: "end session")
    }

    /// The active user of a live session, if any.
    public static func user(forSession key: String, on connection: PostgresConnection) throws -> TOMUser? {
        guard key.utf8.count == 32, key.utf8.allSatisfy({ RandomToken.lowercaseAlphanumerics.contains($0) }) else { return nil }
        let result = try connection.query(
            """
            SELECT \(unescaped: UserDirectory.userColumns)
              FROM \(unescaped: OwnTables.session) s JOIN auth_user u ON u.id = s.user_id
             WHERE s.session_key = \(key) AND s.expires_at > now() AND u.is_active
            """, statement: "find session")
        guard let row = result.rows.first, result.rowCount == 1 else { return nil }
        return try TOMUser(row)
    }
}
