import Postgres

/// The login role the services read and write as (`ppdb grant-service-role`): it may connect,
/// make temporary tables, and read and write the rows of the public schema's tables and
/// sequences, now and those later migrations of the caller add; it owns nothing, so it cannot
/// create, alter or drop a table, and a leaked service password cannot change the schema. The
/// owner (or a superuser) migrates and restores; the query roles only read.
public enum ServiceRole {
    /// Creates or updates the role, run as the tables' owner (who migrates) or a superuser.
    /// Functions `grant-query-role` took from PUBLIC (advisory locks, which the pipeline's
    /// tools coordinate with) are granted to it; that needs a superuser where PUBLIC lost them,
    /// and is otherwise named in `needsSuperuser`.
    @discardableResult
    public static func grant(role: String, password: String?, connectionLimit: Int = 64, on connection: PostgresConnection) throws
        -> QueryRole.Outcome
    {
        try connection.transaction {
            let (name, database, me, isSuperuser, _) = try LoginRole.createOrAlter(
                role, password: password, attributes: "INHERIT CONNECTION LIMIT \(max(1, connectionLimit))", on: connection)
            for sql in [
                "GRANT CONNECT, TEMPORARY ON DATABASE \(database) TO \(name)",
                "GRANT USAGE ON SCHEMA public TO \(name)",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \(name)",
                "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO \(name)",
                // Tables and sequences the caller's later migrations add.
                "ALTER DEFAULT PRIVILEGES FOR ROLE \(me) IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO \(name)",
                "ALTER DEFAULT PRIVILEGES FOR ROLE \(me) IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO \(name)",
            ] {
                try connection.query(PostgresQuery(unescaped: sql), statement: "grant the service role its rows")
            }
            let missing = try connection.query(
                """
                SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                 WHERE \(unescaped: QueryRole.guardedFunctionsCondition) AND p.proname LIKE '%advisory%'
                   AND NOT has_function_privilege(\(role)::name, p.oid, 'EXECUTE')
                 ORDER BY 1
                """, statement: "find the advisory-lock functions the role may not run")
            let functions = try missing.rows.map { try $0.decode(String.self) }
            var outcome = QueryRole.Outcome()
            guard !functions.isEmpty else { return outcome }
            guard isSuperuser else {
                outcome.needsSuperuser.append(
                    "role \(role) may not take advisory locks (\(functions.count) functions, taken from PUBLIC by grant-query-role): run `ppdb grant-service-role \(role)` once as a superuser, or name it in grant-query-role --application-role"
                )
                return outcome
            }
            for function in functions {
                try connection.query(PostgresQuery(unescaped: "GRANT EXECUTE ON FUNCTION \(function) TO \(name)"), statement: "grant \(function)")
            }
            return outcome
        }
    }
}
