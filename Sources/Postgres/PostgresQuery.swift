/// SQL with its parameters, written as one string: every interpolated value becomes a `$n`
/// placeholder and travels to the server separately, so a value can never change the
/// statement. Trusted SQL text of our own (a table name constant, a column list) goes in with
/// `\(unescaped: …)`; postgres-nio's `PostgresQuery` is the model.
///
/// ```swift
/// try connection.query("SELECT * FROM t WHERE id = ANY(\(ids)) AND name = \(name)", statement: "find t")
/// ```
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation {
    public private(set) var sql: String
    public private(set) var bindings: [PostgresValue]

    public init(stringLiteral value: String) {
        sql = value
        bindings = []
    }

    public init(stringInterpolation: StringInterpolation) {
        sql = stringInterpolation.sql
        bindings = stringInterpolation.bindings
    }

    /// SQL text of our own with no values in it (DDL built from constants, say).
    public init(unescaped sql: String) {
        self.sql = sql
        bindings = []
    }

    /// SQL whose `$n` placeholders are already written, with their values in order.
    public init(sql: String, bindings: [PostgresValue]) {
        self.sql = sql
        self.bindings = bindings
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var bindings: [PostgresValue] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            bindings.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        public mutating func appendInterpolation(_ value: PostgresValue) {
            bindings.append(value)
            sql += "$\(bindings.count)"
        }

        public mutating func appendInterpolation(_ value: some PostgresBindable) {
            appendInterpolation(value.postgresValue)
        }

        public mutating func appendInterpolation(_ value: (some PostgresBindable)?) {
            appendInterpolation(value?.postgresValue ?? .null)
        }

        /// SQL text of our own, spliced in as it is: never a value from outside.
        public mutating func appendInterpolation(unescaped text: String) {
            sql += text
        }
    }
}

/// A Swift value that can be a query parameter.
public protocol PostgresBindable {
    var postgresValue: PostgresValue { get }
}

extension Int64: PostgresBindable { public var postgresValue: PostgresValue { .bigint(self) } }
extension Int32: PostgresBindable { public var postgresValue: PostgresValue { .integer(self) } }
extension Int16: PostgresBindable { public var postgresValue: PostgresValue { .smallint(self) } }
extension Int: PostgresBindable { public var postgresValue: PostgresValue { .bigint(Int64(self)) } }
extension Double: PostgresBindable { public var postgresValue: PostgresValue { .double(self) } }
extension Float: PostgresBindable { public var postgresValue: PostgresValue { .real(self) } }
extension Bool: PostgresBindable { public var postgresValue: PostgresValue { .boolean(self) } }
extension String: PostgresBindable { public var postgresValue: PostgresValue { .text(self) } }
extension PostgresTimestamp: PostgresBindable { public var postgresValue: PostgresValue { .timestamp(self) } }

extension Array: PostgresBindable where Element: PostgresArrayElement {
    public var postgresValue: PostgresValue { Element.arrayValue(self) }
}

/// An element type PostgreSQL arrays are sent with, as real binary arrays.
public protocol PostgresArrayElement {
    static func arrayValue(_ values: [Self]) -> PostgresValue
}

extension Int64: PostgresArrayElement { public static func arrayValue(_ values: [Int64]) -> PostgresValue { .bigintArray(values) } }
extension Int32: PostgresArrayElement { public static func arrayValue(_ values: [Int32]) -> PostgresValue { .integerArray(values) } }
extension Int16: PostgresArrayElement { public static func arrayValue(_ values: [Int16]) -> PostgresValue { .smallintArray(values) } }
extension Double: PostgresArrayElement { public static func arrayValue(_ values: [Double]) -> PostgresValue { .doubleArray(values) } }
extension Float: PostgresArrayElement { public static func arrayValue(_ values: [Float]) -> PostgresValue { .realArray(values) } }
extension String: PostgresArrayElement { public static func arrayValue(_ values: [String]) -> PostgresValue { .textArray(values) } }
