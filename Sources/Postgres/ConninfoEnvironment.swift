import CLibPQ

/// A conninfo string or URL as libpq's `PG*` environment variables, so a child process
/// (`pg_restore`) can connect without the connection, and its password, on its command line.
public enum ConninfoEnvironment {
    /// libpq's connection keywords and the environment variables that stand for them.
    static let variableForKeyword: [String: String] = [
        "host": "PGHOST", "hostaddr": "PGHOSTADDR", "port": "PGPORT", "dbname": "PGDATABASE", "user": "PGUSER",
        "password": "PGPASSWORD", "passfile": "PGPASSFILE", "service": "PGSERVICE", "options": "PGOPTIONS",
        "application_name": "PGAPPNAME", "sslmode": "PGSSLMODE", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
        "sslrootcert": "PGSSLROOTCERT", "sslcrl": "PGSSLCRL", "sslcrldir": "PGSSLCRLDIR", "sslsni": "PGSSLSNI",
        "sslcompression": "PGSSLCOMPRESSION", "ssl_min_protocol_version": "PGSSLMINPROTOCOLVERSION",
        "ssl_max_protocol_version": "PGSSLMAXPROTOCOLVERSION", "connect_timeout": "PGCONNECT_TIMEOUT",
        "client_encoding": "PGCLIENTENCODING", "target_session_attrs": "PGTARGETSESSIONATTRS", "gssencmode": "PGGSSENCMODE",
        "gsslib": "PGGSSLIB", "krbsrvname": "PGKRBSRVNAME", "channel_binding": "PGCHANNELBINDING", "requirepeer": "PGREQUIREPEER",
        "requiressl": "PGREQUIRESSL",
    ]

    public struct Unsupported: Error, CustomStringConvertible {
        public var description: String
    }

    /// The variables for every setting `conninfo` makes ("" sets none: libpq's own defaults apply).
    public static func variables(for conninfo: String) throws(Unsupported) -> [String: String] {
        guard !conninfo.isEmpty else { return [:] }
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            let message = errorMessage.map { String(cString: $0) } ?? "out of memory"
            if let errorMessage { PQfreemem(errorMessage) }
            // libpq's message may quote the string, password and all: say only that it failed.
            throw Unsupported(description: "the database connection string cannot be parsed" + (message.contains("=") ? "" : ": \(message)"))
        }
        defer { PQconninfoFree(options) }
        var variables: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                let name = String(cString: keyword)
                guard let variable = variableForKeyword[name] else {
                    throw Unsupported(description: "the connection setting '\(name)' has no environment variable")
                }
                variables[variable] = String(cString: value)
            }
            option += 1
        }
        return variables
    }
}
