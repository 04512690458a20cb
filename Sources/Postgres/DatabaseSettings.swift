/// Where to find the database: a flag (conninfo or URL), else `DATABASE_URL`, else the TOM's
/// deployment variables `DB_HOST DB_PORT DB_NAME DB_USER DB_PASS`, else libpq's own `PG*` defaults.
public enum DatabaseSettings {
    public enum Source: Sendable, Equatable {
        case flag, databaseURL, tomVariables, libpqDefaults
    }

    public static func resolve(flag: String?, environment: [String: String]) -> (conninfo: String, source: Source) {
        if let flag, !flag.isEmpty { return (flag, .flag) }
        if let url = environment["DATABASE_URL"], !url.isEmpty { return (url, .databaseURL) }
        let tomKeys = [("DB_HOST", "host"), ("DB_PORT", "port"), ("DB_NAME", "dbname"), ("DB_USER", "user"), ("DB_PASS", "password")]
        let pairs = tomKeys.compactMap { key, name in environment[key].flatMap { $0.isEmpty ? nil : "\(name)=\(quoted($0))" } }
        if !pairs.isEmpty { return (pairs.joined(separator: " "), .tomVariables) }
        return ("", .libpqDefaults)
    }

    /// A conninfo value in single quotes, with `\` and `'` escaped as libpq requires.
    static func quoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// The conninfo or URL with any password replaced, for logs.
    public static func redacted(_ conninfo: String) -> String {
        var text = conninfo
        if let schemeEnd = text.range(of: "://"), let at = text.range(of: "@", range: schemeEnd.upperBound..<text.endIndex),
            let colon = text.range(of: ":", range: schemeEnd.upperBound..<at.lowerBound)
        {
            text.replaceSubrange(colon.upperBound..<at.lowerBound, with: "…")
        }
        while let range = text.range(of: "password="), !text[range.upperBound...].hasPrefix("…") {
            var end = range.upperBound
            if text[end...].hasPrefix("'") {
                end = text.index(after: end)
                while end < text.endIndex, text[end] != "'" {
                    end = text[end] == "\\" ? text.index(end, offsetBy: 2, limitedBy: text.endIndex) ?? text.endIndex : text.index(after: end)
                }
                if end < text.endIndex { end = text.index(after: end) }
            } else {
                end = text[end...].firstIndex(of: " ") ?? text.endIndex
            }
            text.replaceSubrange(range.upperBound..<end, with: "…")
        }
        return text
    }
}
