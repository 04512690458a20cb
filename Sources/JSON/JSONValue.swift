import Foundation

/// A JSON value: what a request body holds, and small answers built in order. Integers and
/// fractions stay apart (`5` is `.int`, `5.0` is `.double`), as Python's `json` keeps them.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    /// A float4 column's value, written with float4's shortest spelling.
    case float(Float)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.double(let a), .double(let b)): a == b
        case (.float(let a), .float(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// Parses a whole document; a syntax error names where it is.
    public static func parse(_ data: some ContiguousBytes) throws(JSONSyntaxError) -> JSONValue {
        let outcome = data.withUnsafeBytes { raw -> Result<JSONValue, JSONSyntaxError> in
            var parser = JSONParser(raw.bindMemory(to: UInt8.self))
            do throws(JSONSyntaxError) {
                return .success(try parser.document())
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    /// The members of an object, by name (nil for anything else).
    public var members: [String: JSONValue]? {
        guard case .object(let pairs) = self else { return nil }
        var dictionary: [String: JSONValue] = [:]
        for (name, value) in pairs { dictionary[name] = value }
        return dictionary
    }

    /// The document's bytes.
    public var serialized: [UInt8] {
        var writer = JSONWriter()
        writer.value(self)
        return writer.bytes
    }

    /// What Python's `bool()` makes of it: false for null, false, 0, "", [] and {}.
    public var isTruthy: Bool {
        switch self {
        case .null: false
        case .bool(let flag): flag
        case .int(let number): number != 0
        case .double(let number): number != 0
        case .float(let number): number != 0
        case .string(let text): !text.isEmpty
        case .array(let elements): !elements.isEmpty
        case .object(let members): !members.isEmpty
        }
    }

    /// How a parameter's value is named in an error message.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double, .float: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }
}
