import Postgres

/// Django's users and groups, read and written as Django keeps them. Every function blocks: run
/// it on its connection's executor.
public enum UserDirectory {
    public static let brokerGroup = "Broker"
    /// The TOM README's group whose members' SQL may read every `elasticc2_*` table, truth included.
    public static let elasticcAdminGroup = "elasticc_admin"

    /// A user's columns as `TOMUser(_:)` reads them, from `auth_user u` (the group's name is
    /// the constant above, so it is written into the SQL).
    static let userColumns = """
        u.id, u.username, u.is_superuser, u.is_active,
        EXISTS (SELECT 1 FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id
                 WHERE ug.user_id = u.id AND g.name = '\(brokerGroup)') AS is_broker,
        EXISTS (SELECT 1 FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id
                 WHERE ug.user_id = u.id AND g.name = '\(elasticcAdminGroup)') AS is_elasticc_admin
        """

    /// The user called `username` with its stored password hash, if any.
    public static func find(username: String, on connection: PostgresConnection) throws -> (user: TOMUser, passwordHash: String)? {
        let result = try connection.query(
            "SELECT \(unescaped: userColumns), u.password FROM auth_user u WHERE u.username = \(username)", statement: "find user")
        guard let row = result.rows.first, result.rowCount == 1 else { return nil }
        return (try TOMUser(row), try row.decode(String.self, column: "password"))
    }

    /// Creates the user, or updates its password and flags; `broker` adds it to the `Broker`
    /// group, `elasticcAdmin` to `elasticc_admin` (each created if missing). Returns whether the
    /// user is new.
    @discardableResult
    public static func save(
        username: String, passwordHash: String, broker: Bool, superuser: Bool, elasticcAdmin: Bool = false, on connection: PostgresConnection
    ) throws -> Bool {
        try connection.transaction {
            let existing = try connection.query("SELECT id FROM auth_user WHERE username = \(username) FOR UPDATE", statement: "find user")
            let id: Int32
            let created = existing.rowCount == 0
            if created {
                id = try connection.query(
                    """
                    INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
                    VALUES (\(passwordHash), \(superuser), \(username), '', '', '', \(superuser), true, now()) RETURNING id
                    """, statement: "create user"
                ).single(Int32.self)
            } else {
                id = try existing.single(Int32.self)
                try connection.query(
                    """
                    UPDATE auth_user SET password = \(passwordHash), is_superuser = \(superuser) OR is_superuser, is_active = true
                     WHERE id = \(id)
                    """, statement: "update user")
            }
            for group in [broker ? brokerGroup : nil, elasticcAdmin ? elasticcAdminGroup : nil].compactMap({ $0 }) {
                try connection.query("INSERT INTO auth_group (name) VALUES (\(group)) ON CONFLICT (name) DO NOTHING", statement: "create a group")
                try connection.query(
                    """
                    INSERT INTO auth_user_groups (user_id, group_id) SELECT \(id), id FROM auth_group WHERE name = \(group)
                    ON CONFLICT (user_id, group_id) DO NOTHING
                    """, statement: "join a group")
            }
            return created
        }
    }
}
