import JSON
import Postgres

/// Turns psycopg2's `%(name)s` placeholders into PostgreSQL's `$n` bind parameters: values
/// never become SQL text. A list becomes a parenthesised list of parameters, as psycopg2
/// renders a tuple (`IN %(ids)s`). With values given, `%%` is a literal `%`, as in psycopg2;
/// without any, the text is left as it is.
public enum PlaceholderTranslator {
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// `byteLimit` bounds the SQL made (a long list used many times would grow it without end).
    public static func translate(_ sql: String, values: [String: JSONValue], byteLimit: Int = .max) throws(Invalid) -> PostgresQuery {
        func tooLong() -> Invalid {
            Invalid(description: "the query is longer than \(byteLimit) bytes once its placeholders are expanded, the limit here")
        }
        guard sql.utf8.count <= byteLimit else { throw tooLong() }
        guard !values.isEmpty else { return PostgresQuery(unescaped: sql) }
        var output = ""
        var bindings: [PostgresValue] = []
        var numbers: [String: String] = [:]
        var rest = Substring(sql)
        while let percent = rest.firstIndex(of: "%") {
            output += rest[..<percent]
            let after = rest[rest.index(after: percent)...]
            if after.hasPrefix("%") {
                output += "%"
                rest = after.dropFirst()
            } else if after.hasPrefix("("), let close = after.firstIndex(of: ")"), after[after.index(after: close)...].hasPrefix("s") {
                let name = String(after[after.index(after: after.startIndex)..<close])
                guard let value = values[name] else { throw Invalid(description: "no value for %(\(name))s in subdict") }
                if let known = numbers[name] {
                    output += known
                } else {
                    let text = try placeholder(for: value, name: name, bindings: &bindings)
                    numbers[name] = text
                    output += text
                }
                guard output.utf8.count <= byteLimit else { throw tooLong() }
                rest = after[after.index(close, offsetBy: 2)...]
            } else {
                throw Invalid(description: "a lone % in the query: write %% for a literal % when subdict has values")
            }
        }
        output += rest
        return PostgresQuery(sql: output, bindings: bindings)
    }

    private static func placeholder(for value: JSONValue, name: String, bindings: inout [PostgresValue]) throws(Invalid) -> String {
        if case .array(let elements) = value {
            guard !elements.isEmpty else { throw Invalid(description: "subdict value \(name) is an empty list (IN () is not SQL)") }
            var parts: [String] = []
            for element in elements { parts.append(try placeholder(for: element, name: name, bindings: &bindings)) }
            return "(" + parts.joined(separator: ", ") + ")"
        }
        bindings.append(try parameter(value, name: name))
        return "$\(bindings.count)"
    }

    /// Integers and fractions keep their types (as psycopg2's literals would); strings go as
    /// untyped literals, so a date or a timestamp string compares with its column.
    private static func parameter(_ value: JSONValue, name: String) throws(Invalid) -> PostgresValue {
        switch value {
        case .null: return .null
        case .bool(let flag): return .boolean(flag)
        case .int(let number): return .bigint(number)
        case .double(let number): return .double(number)
        case .float(let number): return .real(number)
        case .string(let text): return .text(text)
        case .array, .object: throw Invalid(description: "subdict value \(name) can't be a nested list or a dict")
        }
    }
}
