import Postgres

/// The login role `db/runsqlquery/` connects as (the TOM's `postgres_ro`): it may connect,
/// read the science tables and make temporary tables, nothing else. Not the accounts
/// (`auth_*`: password hashes), Django's or our login sessions: whoever reads those can log
/// in as somebody else. Run again after a migration adds tables.
public enum QueryRole {
    /// Tables the role must never read.
    public static let privateTablePatterns = ["auth\\_%", "django\\_%", OwnTables.session]

    /// Creates the role if needed (login, no other powers) and sets its privileges.
    public static func grant(role: String, password: String?, on connection: PostgresConnection) throws {
        try connection.transaction {
            let quoted = try connection.query(
                "SELECT quote_ident(\(role)), quote_literal(\(password)), quote_ident(current_database())", statement: "quote the role")
            let (name, quotedPassword, database) = try quoted.single((String, String?, String).self)
            let passwordClause = quotedPassword.map { " PASSWORD \($0)" } ?? ""
            let exists = try connection.query("SELECT 1 FROM pg_roles WHERE rolname = \(role)", statement: "find the role").rowCount > 0
            let attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS\(passwordClause)"
            try connection.query(
                PostgresQuery(unescaped: "\(exists ? "ALTER" : "CREATE") ROLE \(name) \(attributes)"), statement: "create the query role")
            try connection.query(
                PostgresQuery(unescaped: "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM \(name)"), statement: "reset the query role's grants")
            try connection.query(PostgresQuery(unescaped: "GRANT CONNECT, TEMPORARY ON DATABASE \(database) TO \(name)"), statement: "grant connect")
            try connection.query(PostgresQuery(unescaped: "GRANT USAGE ON SCHEMA public TO \(name)"), statement: "grant schema usage")
            let tables = try connection.query(
                """
                SELECT quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
                   AND NOT c.relname LIKE ANY(\(Self.privateTablePatterns))
                 ORDER BY c.relname
                """, statement: "list readable tables")
            let names = try tables.rows.map { try $0.decode(String.self) }
            if !names.isEmpty {
                try connection.query(
                    PostgresQuery(unescaped: "GRANT SELECT ON \(names.map { "public.\($0)" }.joined(separator: ", ")) TO \(name)"),
                    statement: "grant select")
            }
            try connection.query(PostgresQuery(unescaped: "ALTER ROLE \(name) SET statement_timeout = '5min'"), statement: "role timeout")
        }
    }
}
