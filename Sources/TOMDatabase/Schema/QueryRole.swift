import Postgres

/// The login role `db/runsqlquery/` connects as (the TOM's `postgres_ro`): it may connect,
/// read the science tables and make temporary tables, nothing else. Not the accounts
/// (`auth_*`: password hashes), Django's or our login sessions: whoever reads those can log
/// in as somebody else. Not the functions that reach past its own request (`guardedFunctions`:
/// advisory locks the pipeline coordinates with, settings, large objects, other sessions'
/// activity and signals). Run again after a migration adds tables.
public enum QueryRole {
    /// Tables the role must never read.
    public static let privateTablePatterns = ["auth\\_%", "django\\_%", OwnTables.session, OwnTables.longQuery]

    /// What a role's SQL may read. The TOM README's rule: everybody reads the broker tables (and
    /// the taxonomy to join them with); only the group `elasticc_admin` reads the other
    /// `elasticc2_*` tables, truth included.
    public enum Scope: Sendable, Equatable {
        /// The `elasticc2_broker*` and taxonomy tables.
        case brokerTables
        /// Every table but the private ones.
        case everything

        /// LIKE patterns of the public-schema tables a role of this scope may read, beyond which
        /// it must read nothing (nil: anything but the private tables).
        public var readablePatterns: [String]? {
            switch self {
            case .brokerTables: ["elasticc2\\_broker%", "elasticc2\\_gentypeofclassid", "elasticc2\\_classidofgentype"]
            case .everything: nil
            }
        }
    }

    /// `ppdb grant-query-role ROLE` makes ROLE with `.brokerTables` and this name with `.everything`.
    public static func adminRoleName(_ role: String) -> String { role + "_admin" }

    /// `pg_catalog` functions every role may run by default (through PUBLIC) that a query role
    /// must not: advisory locks (holding the pipeline's stalls it), `set_config` (resource
    /// settings), large objects, others' running SQL (`pg_stat_get_activity`, which
    /// `pg_stat_activity` reads) and signals to their sessions, and `NOTIFY`.
    public static let guardedFunctionsCondition = """
        n.nspname = 'pg_catalog' AND (p.proname LIKE 'pg\\_advisory\\_%' OR p.proname LIKE 'pg\\_try\\_advisory\\_%'
          OR p.proname LIKE 'pg\\_stat\\_get\\_backend\\_%' OR p.proname LIKE 'lo\\_%'
          OR p.proname IN ('set_config', 'pg_stat_get_activity', 'pg_terminate_backend', 'pg_cancel_backend', 'pg_notify', 'lowrite', 'loread'))
        """

    /// A superuser setting that bounds the temporary files one query may write.
    public static let tempFileLimit = "2GB"

    public struct Outcome: Sendable {
        /// What is left for a superuser to do (empty when the role is fit).
        public var needsSuperuser: [String] = []
    }

    /// Creates the role if needed (login, no other powers, `connectionLimit` sessions) and sets
    /// its privileges. The password goes to the server only as libpq's hash of it. Functions of
    /// `guardedFunctionsCondition` are taken from PUBLIC and granted to `applicationRoles`, the
    /// database's owner and the caller instead: that needs a superuser, so another caller gets
    /// told what is left in `needsSuperuser`.
    @discardableResult
    public static func grant(
        role: String, password: String?, scope: Scope = .everything, connectionLimit: Int = 16, applicationRoles: [String] = [],
        on connection: PostgresConnection
    ) throws -> Outcome {
        try connection.transaction {
            let (name, database, me, isSuperuser, owner) = try LoginRole.createOrAlter(
                role, password: password, attributes: "NOINHERIT CONNECTION LIMIT \(max(1, connectionLimit))", on: connection)
            // Memberships would lend it other roles' privileges (SET ROLE needs no INHERIT).
            let memberships = try connection.query(
                """
                SELECT quote_ident(r.rolname) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
                 WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = \(role))
                """, statement: "find the role's memberships")
            for group in try memberships.rows.map({ try $0.decode(String.self) }) {
                try connection.query(PostgresQuery(unescaped: "REVOKE \(group) FROM \(name)"), statement: "revoke a membership")
            }
            // Only what it holds: revoking what was never granted fails for a caller that owns no such grant.
            let held = try connection.query(
                """
                SELECT CASE WHEN c.relkind = 'S' THEN 'SEQUENCE ' ELSE 'TABLE ' END || quote_ident(n.nspname) || '.' || quote_ident(c.relname)
                  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
                   AND EXISTS (SELECT 1 FROM aclexplode(c.relacl) a WHERE a.grantee = (SELECT oid FROM pg_roles WHERE rolname = \(role)))
                """, statement: "find the role's grants")
            for object in try held.rows.map({ try $0.decode(String.self) }) {
                try connection.query(PostgresQuery(unescaped: "REVOKE ALL ON \(object) FROM \(name)"), statement: "reset the query role's grants")
            }
            let schemas = try connection.query(
                """
                SELECT quote_ident(nspname) FROM pg_namespace
                 WHERE has_schema_privilege(\(role)::name, oid, 'CREATE') AND nspname NOT LIKE 'pg\\_%'
                """, statement: "find schemas the role may create in")
            for schema in try schemas.rows.map({ try $0.decode(String.self) }) {
                try connection.query(PostgresQuery(unescaped: "REVOKE CREATE ON SCHEMA \(schema) FROM \(name)"), statement: "revoke create")
            }
            try connection.query(PostgresQuery(unescaped: "GRANT CONNECT, TEMPORARY ON DATABASE \(database) TO \(name)"), statement: "grant connect")
            try connection.query(PostgresQuery(unescaped: "GRANT USAGE ON SCHEMA public TO \(name)"), statement: "grant schema usage")
            let tables = try connection.query(
                """
                SELECT quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
                   AND NOT c.relname LIKE ANY(\(Self.privateTablePatterns))
                   AND (\(scope.readablePatterns)::text[] IS NULL OR c.relname LIKE ANY(\(scope.readablePatterns)))
                 ORDER BY c.relname
                """, statement: "list readable tables")
            let names = try tables.rows.map { try $0.decode(String.self) }
            if !names.isEmpty {
                try connection.query(
                    PostgresQuery(unescaped: "GRANT SELECT ON \(names.map { "public.\($0)" }.joined(separator: ", ")) TO \(name)"),
                    statement: "grant select")
            }
            try connection.query(PostgresQuery(unescaped: "ALTER ROLE \(name) SET statement_timeout = '5min'"), statement: "role timeout")
            var outcome = Outcome()
            if isSuperuser {
                try connection.query(
                    PostgresQuery(unescaped: "ALTER ROLE \(name) SET temp_file_limit = '\(tempFileLimit)'"), statement: "role temporary files")
            }
            let guarded = try connection.query(
                """
                SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                 WHERE \(unescaped: guardedFunctionsCondition) AND has_function_privilege(\(role)::name, p.oid, 'EXECUTE')
                 ORDER BY 1
                """, statement: "find the functions the role may run")
            let functions = try guarded.rows.map { try $0.decode(String.self) }
            if !functions.isEmpty {
                guard isSuperuser else {
                    outcome.needsSuperuser.append(
                        "role \(role) may still run \(functions.count) functions that reach past its own request (\(functions.prefix(4).joined(separator: ", ")), …): run `ppdb grant-query-role \(role)` once as a superuser"
                    )
                    return outcome
                }
                let keepers = Array(
                    Set(
                        [me, owner]
                            + (try applicationRoles.map { application in
                                try connection.query("SELECT quote_ident(\(application))", statement: "quote an application role").single(String.self)
                            }))
                ).sorted()
                for function in functions {
                    try connection.query(
                        PostgresQuery(unescaped: "REVOKE EXECUTE ON FUNCTION \(function) FROM PUBLIC"), statement: "revoke \(function)")
                    try connection.query(
                        PostgresQuery(unescaped: "GRANT EXECUTE ON FUNCTION \(function) TO \(keepers.joined(separator: ", "))"),
                        statement: "grant \(function) back")
                    // A direct grant (an earlier run's, or the role's being an application role once) goes too.
                    try connection.query(
                        PostgresQuery(unescaped: "REVOKE EXECUTE ON FUNCTION \(function) FROM \(name)"), statement: "revoke \(function)")
                }
            }
            return outcome
        }
    }
}

public struct QueryRoleError: Error, CustomStringConvertible {
    public var description: String
}

/// A login role of the pipeline's, made or updated by its owner or a superuser.
enum LoginRole {
    /// Creates `role` (login, no other powers, plus `attributes`) or updates it; the password goes
    /// to the server only as libpq's hash of it. Quoted names of the role, the database, the
    /// caller and the database's owner come back, with whether the caller is a superuser.
    static func createOrAlter(_ role: String, password: String?, attributes extra: String, on connection: PostgresConnection) throws -> (
        name: String, database: String, me: String, isSuperuser: Bool, owner: String
    ) {
        let quoted = try connection.query(
            """
            SELECT quote_ident(\(role)), quote_ident(current_database()), quote_ident(current_user),
                   (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
                   (SELECT quote_ident(pg_get_userbyid(datdba)) FROM pg_database WHERE datname = current_database())
            """, statement: "quote the role")
        let (name, database, me, isSuperuser, owner) = try quoted.single((String, String, String, Bool, String).self)
        let existing = try connection.query(
            "SELECT rolsuper OR rolreplication OR rolbypassrls FROM pg_roles WHERE rolname = \(role)", statement: "find the role")
        let exists = existing.rowCount > 0
        if exists, try existing.single(Bool.self), !isSuperuser {
            throw QueryRoleError(
                description: "role \(role) is a superuser or may replicate or bypass row security; only a superuser can take that away")
        }
        var attributes = "LOGIN NOCREATEDB NOCREATEROLE " + extra
        // Only a superuser may name these, even to say "no" (PostgreSQL 15); a new role has none of them.
        if isSuperuser { attributes += " NOSUPERUSER NOREPLICATION NOBYPASSRLS" }
        if let password {
            let hashed = try connection.encryptedPassword(password, role: role)
            let literal = try connection.query("SELECT quote_literal(\(hashed))", statement: "quote the password hash").single(String.self)
            attributes += " PASSWORD \(literal)"
        }
        try connection.query(PostgresQuery(unescaped: "\(exists ? "ALTER" : "CREATE") ROLE \(name) \(attributes)"), statement: "create the role")
        return (name, database, me, isSuperuser, owner)
    }
}
