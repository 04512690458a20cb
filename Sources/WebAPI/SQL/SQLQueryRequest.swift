import JSON

/// What `db/runsqlquery/` is asked: `query` (a string or a list of them) and `subdict` (a dict
/// of values for `%(name)s` placeholders, or a list of dicts, one per query). One dict serves
/// every query of a list (the TOM runs only the first query then, a bug not kept).
public struct SQLQueryRequest: Sendable {
    public var statements: [(sql: String, values: [String: JSONValue])]

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public init(_ body: JSONValue) throws(Invalid) {
        guard let members = body.members else { throw Invalid(description: "the body must be a JSON object with query and subdict") }
        let unknown = Set(members.keys).subtracting(["query", "subdict"]).sorted()
        guard unknown.isEmpty else {
            throw Invalid(description: "unknown parameter\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")); known: query, subdict")
        }
        let queries: [String]
        switch members["query"] {
        case nil: throw Invalid(description: "query is required")
        case .string(let text)?: queries = [text]
        case .array(let elements)?:
            queries = try elements.enumerated().map { position, element throws(Invalid) in
                guard case .string(let text) = element else { throw Invalid(description: "query[\(position)] must be a string") }
                return text
            }
            guard !queries.isEmpty else { throw Invalid(description: "query is an empty list") }
        case let other?: throw Invalid(description: "query must be a string or a list of strings, not \(other.kindName)")
        }
        var dictionaries: [[String: JSONValue]]
        switch members["subdict"] {
        case nil, .null?: dictionaries = Array(repeating: [:], count: queries.count)
        case .object?: dictionaries = Array(repeating: members["subdict"]?.members ?? [:], count: queries.count)
        case .array(let elements)?:
            dictionaries = try elements.enumerated().map { position, element throws(Invalid) in
                guard let values = element.members else { throw Invalid(description: "subdict[\(position)] must be a dict") }
                return values
            }
            guard dictionaries.count == queries.count else {
                throw Invalid(description: "subdict has \(dictionaries.count) dicts for \(queries.count) queries")
            }
        case let other?: throw Invalid(description: "subdict must be a dict or a list of dicts, not \(other.kindName)")
        }
        statements = zip(queries, dictionaries).map { ($0, $1) }
    }
}
