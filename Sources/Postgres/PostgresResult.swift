import CLibPQ
import Foundation

/// The rows of one query, owned until the result is released. Values are copied out on access.
///
/// `@unchecked Sendable`: a `PGresult` does not change after it is returned, and libpq allows
/// reading it from any thread, independently of its connection.
public final class PostgresResult: @unchecked Sendable {
    // Immutable after init; PGresult is read-only and libpq allows reading it from any thread.
    private let result: OpaquePointer
    public let rowCount: Int
    public let columnCount: Int
    private let statement: String

    init(_ result: OpaquePointer, statement: String) {
        self.result = result
        self.statement = statement
        rowCount = Int(PQntuples(result))
        columnCount = Int(PQnfields(result))
    }

    deinit {
        PQclear(result)
    }

    /// Rows changed by an INSERT/UPDATE/DELETE/COPY.
    public var affectedRows: Int {
        Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    public var columnNames: [String] {
        (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
    }

    /// The type OID of a column (`pg_type.oid`: 23 int4, 701 float8, 1184 timestamptz, …).
    public func typeOID(_ column: Int) -> UInt32 {
        UInt32(PQftype(result, Int32(column)))
    }

    public func column(named name: String) -> Int? {
        let index = Int(PQfnumber(result, name))
        return index >= 0 ? index : nil
    }

    public func isNull(_ row: Int, _ column: Int) -> Bool {
        PQgetisnull(result, Int32(row), Int32(column)) != 0
    }

    @inline(__always)
    private func raw(_ row: Int, _ column: Int) -> UnsafeMutablePointer<CChar>? {
        PQgetisnull(result, Int32(row), Int32(column)) != 0 ? nil : PQgetvalue(result, Int32(row), Int32(column))
    }

    private func columnName(_ column: Int) -> String {
        column >= 0 && column < columnCount ? String(cString: PQfname(result, Int32(column))) : "#\(column)"
    }

    private func decodingError(_ type: String, _ column: Int) -> PostgresError {
        PostgresError(kind: .decoding, statement: statement, message: "column \(columnName(column)) is not a valid \(type)")
    }

    /// A value that must be there: a NULL, a missing column or a value of another type throws
    /// a decoding error naming the column and the statement.
    public func value<T: PostgresDecodable>(_ row: Int, _ column: Int, as type: T.Type = T.self) throws(PostgresError) -> T {
        guard let value = try optional(row, column, as: type) else {
            throw PostgresError(kind: .decoding, statement: statement, message: "column \(columnName(column)) is NULL where a \(T.self) was expected")
        }
        return value
    }

    /// A value that may be NULL.
    public func optional<T: PostgresDecodable>(_ row: Int, _ column: Int, as type: T.Type = T.self) throws(PostgresError) -> T? {
        guard row >= 0, row < rowCount, column >= 0, column < columnCount else {
            throw PostgresError(
                kind: .decoding, statement: statement, message: "no row \(row), column \(column) in a result of \(rowCount) × \(columnCount)")
        }
        return try T.decode(from: self, row: row, column: column)
    }

    /// A value's text as bytes, copied once (a JSON document PostgreSQL made, say); NULL throws.
    public func textBytes(_ row: Int, _ column: Int) throws(PostgresError) -> [UInt8] {
        guard let text = raw(row, column) else {
            throw PostgresError(kind: .decoding, statement: statement, message: "column \(columnName(column)) is NULL")
        }
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        return text.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }

    public func string(_ row: Int, _ column: Int) -> String? {
        raw(row, column).map { String(cString: $0) }
    }

    public func int64(_ row: Int, _ column: Int) throws(PostgresError) -> Int64? {
        guard let text = raw(row, column) else { return nil }
        var end: UnsafeMutablePointer<CChar>?
        errno = 0
        let value = strtoll(text, &end, 10)
        guard errno == 0, let end, end.pointee == 0, end != text else { throw decodingError("bigint", column) }
        return Int64(value)
    }

    public func int32(_ row: Int, _ column: Int) throws(PostgresError) -> Int32? {
        guard let value = try int64(row, column) else { return nil }
        guard let narrow = Int32(exactly: value) else { throw decodingError("integer", column) }
        return narrow
    }

    public func int16(_ row: Int, _ column: Int) throws(PostgresError) -> Int16? {
        guard let value = try int64(row, column) else { return nil }
        guard let narrow = Int16(exactly: value) else { throw decodingError("smallint", column) }
        return narrow
    }

    public func double(_ row: Int, _ column: Int) throws(PostgresError) -> Double? {
        guard let text = raw(row, column) else { return nil }
        var end: UnsafeMutablePointer<CChar>?
        let value = strtod(text, &end)
        guard let end, end.pointee == 0, end != text else { throw decodingError("double precision", column) }
        return value
    }

    public func float(_ row: Int, _ column: Int) throws(PostgresError) -> Float? {
        guard let text = raw(row, column) else { return nil }
        var end: UnsafeMutablePointer<CChar>?
        let value = strtof(text, &end)
        guard let end, end.pointee == 0, end != text else { throw decodingError("real", column) }
        return value
    }

    public func bool(_ row: Int, _ column: Int) throws(PostgresError) -> Bool? {
        guard let text = raw(row, column) else { return nil }
        switch text.pointee {
        case CChar(UInt8(ascii: "t")): return true
        case CChar(UInt8(ascii: "f")): return false
        default: throw decodingError("boolean", column)
        }
    }

    public func timestamp(_ row: Int, _ column: Int) throws(PostgresError) -> PostgresTimestamp? {
        guard let text = string(row, column) else { return nil }
        guard let value = PostgresTimestamp(text: text) else { throw decodingError("timestamp with time zone", column) }
        return value
    }

    public func int16Array(_ row: Int, _ column: Int) throws(PostgresError) -> [Int16]? {
        guard let elements = arrayElements(row, column) else { return nil }
        var values: [Int16] = []
        values.reserveCapacity(elements.count)
        for element in elements {
            guard let value = Int16(element) else { throw decodingError("smallint[]", column) }
            values.append(value)
        }
        return values
    }

    public func floatArray(_ row: Int, _ column: Int) throws(PostgresError) -> [Float]? {
        guard let elements = arrayElements(row, column) else { return nil }
        var values: [Float] = []
        values.reserveCapacity(elements.count)
        for element in elements {
            guard let value = Float(element) else { throw decodingError("real[]", column) }
            values.append(value)
        }
        return values
    }

    /// Splits a one-dimensional numeric array literal `{1,2,3}`.
    private func arrayElements(_ row: Int, _ column: Int) -> [Substring]? {
        guard let text = string(row, column) else { return nil }
        let inner = text.dropFirst().dropLast()
        return inner.isEmpty ? [] : inner.split(separator: ",", omittingEmptySubsequences: false)
    }
}

/// A Swift type a result column decodes into.
public protocol PostgresDecodable {
    static func decode(from result: PostgresResult, row: Int, column: Int) throws(PostgresError) -> Self?
}

extension Int64: PostgresDecodable {
    public static func decode(from result: PostgresResult, row: Int, column: Int) throws(PostgresError) -> Int64? { try result.int64(row, column) }
}

extension Int32: PostgresDecodable {
    public static func decode(from result: PostgresResult, row: Int, column: Int) throws(PostgresError) -> Int32? { try result.int32(row, column) }
}

extension Int16: PostgresDecodable {
    public static func decode(from result: PostgresResult, row: Int, column: Int) throws(PostgresError) -> Int16? { try result.int16(row, column) }
}

extension Int: PostgresDecodable {
    public static func decode(from result: PostgresResult, row: Int, column: Int) throws(PostgresError) -> Int? {
        try result.int64(row, column).map(Int.init)
    }
}

extension Double: PostgresDecodable {
    public static func decode(from result: PostgresResult, row: Int, column: Int) throws(PostgresError) -> Double? { try result.double(row, column) }
}

extension Float: PostgresDecodable {
    public static func decode(from result: PostgresResult, row: Int, column: Int) throws(PostgresError) -> Float? { try result.float(row, column) }
}

extension Bool: PostgresDecodable {
    public static func decode(from result: PostgresResult, row: Int, column: Int) throws(PostgresError) -> Bool? { try result.bool(row, column) }
}

extension String: PostgresDecodable {
    public static func decode(from result: PostgresResult, row: Int, column: Int) throws(PostgresError) -> String? { result.string(row, column) }
}

extension PostgresTimestamp: PostgresDecodable {
    public static func decode(from result: PostgresResult, row: Int, column: Int) throws(PostgresError) -> PostgresTimestamp? {
        try result.timestamp(row, column)
    }
}

extension Array: PostgresDecodable where Element: PostgresArrayDecodable {
    public static func decode(from result: PostgresResult, row: Int, column: Int) throws(PostgresError) -> [Element]? {
        try Element.decodeArray(from: result, row: row, column: column)
    }
}

/// An element type of the one-dimensional arrays we read.
public protocol PostgresArrayDecodable {
    static func decodeArray(from result: PostgresResult, row: Int, column: Int) throws(PostgresError) -> [Self]?
}

extension Int16: PostgresArrayDecodable {
    public static func decodeArray(from result: PostgresResult, row: Int, column: Int) throws(PostgresError) -> [Int16]? {
        try result.int16Array(row, column)
    }
}

extension Float: PostgresArrayDecodable {
    public static func decodeArray(from result: PostgresResult, row: Int, column: Int) throws(PostgresError) -> [Float]? {
        try result.floatArray(row, column)
    }
}
