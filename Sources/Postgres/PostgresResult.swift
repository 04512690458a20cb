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
    @usableFromInline
    let statement: String

    /// Columns sent in binary (`PostgresConnection.query(_:statement:results: .binary)`), and
    /// every column's type, which says how to read a binary value.
    private let binaryColumns: [Bool]
    private let columnTypes: [UInt32]

    init(_ result: OpaquePointer, statement: String) {
        self.result = result
        self.statement = statement
        rowCount = Int(PQntuples(result))
        columnCount = Int(PQnfields(result))
        binaryColumns = (0..<columnCount).map { PQfformat(result, Int32($0)) == 1 }
        columnTypes = (0..<columnCount).map { UInt32(PQftype(result, Int32($0))) }
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

    /// A binary value's bytes, whose length says nothing by itself: the column's type does.
    @inline(__always)
    private func length(_ row: Int, _ column: Int) -> Int {
        Int(PQgetlength(result, Int32(row), Int32(column)))
    }

    @inline(__always)
    private func bigEndian<T: FixedWidthInteger>(_ value: UnsafeMutablePointer<CChar>, as type: T.Type) -> T {
        T(bigEndian: UnsafeRawPointer(value).loadUnaligned(as: T.self))
    }

    private static let textTypes: Set<UInt32> = [25, 1043, 1042, 19]  // text, varchar, bpchar, name

    /// A binary integer column (int8, int4, int2) at its own width.
    private func binaryInteger(_ value: UnsafeMutablePointer<CChar>, _ row: Int, _ column: Int) throws(PostgresError) -> Int64 {
        switch (columnTypes[column], length(row, column)) {
        case (20, 8): return bigEndian(value, as: Int64.self)
        case (23, 4): return Int64(bigEndian(value, as: Int32.self))
        case (21, 2): return Int64(bigEndian(value, as: Int16.self))
        default: throw decodingError("integer (binary)", column)
        }
    }

    /// A binary float8 or float4 column.
    private func binaryDouble(_ value: UnsafeMutablePointer<CChar>, _ row: Int, _ column: Int) throws(PostgresError) -> Double {
        switch (columnTypes[column], length(row, column)) {
        case (701, 8): return Double(bitPattern: bigEndian(value, as: UInt64.self))
        case (700, 4): return Double(Float(bitPattern: bigEndian(value, as: UInt32.self)))
        default: throw decodingError("double precision (binary)", column)
        }
    }

    private func columnName(_ column: Int) -> String {
        column >= 0 && column < columnCount ? String(cString: PQfname(result, Int32(column))) : "#\(column)"
    }

    private func decodingError(_ type: String, _ column: Int) -> PostgresError {
        PostgresError(kind: .decoding, statement: statement, message: "column \(columnName(column)) is not a valid \(type)")
    }

    /// A value that must be there: a NULL, a missing column or a value of another type throws
    /// a decoding error naming the column and the statement.
    ///
    /// Inlinable, so a caller's concrete type reaches `decode` directly: the unspecialised
    /// generic looks up `Optional<T>`'s metadata on every value.
    @inlinable
    public func value<T: PostgresDecodable>(_ row: Int, _ column: Int, as type: T.Type = T.self) throws(PostgresError) -> T {
        guard let value = try optional(row, column, as: type) else { throw nullError(column, expected: "\(T.self)") }
        return value
    }

    /// A value that may be NULL.
    @inlinable
    public func optional<T: PostgresDecodable>(_ row: Int, _ column: Int, as type: T.Type = T.self) throws(PostgresError) -> T? {
        guard row >= 0, row < rowCount, column >= 0, column < columnCount else { throw outOfRange(row, column) }
        return try T.decode(from: self, row: row, column: column)
    }

    @usableFromInline
    func nullError(_ column: Int, expected: String) -> PostgresError {
        PostgresError(kind: .decoding, statement: statement, message: "column \(columnName(column)) is NULL where a \(expected) was expected")
    }

    @usableFromInline
    func outOfRange(_ row: Int, _ column: Int) -> PostgresError {
        PostgresError(kind: .decoding, statement: statement, message: "no row \(row), column \(column) in a result of \(rowCount) × \(columnCount)")
    }

    /// A value's text as bytes, copied once (a JSON document PostgreSQL made, say); NULL throws.
    public func textBytes(_ row: Int, _ column: Int) throws(PostgresError) -> [UInt8] {
        guard let text = raw(row, column) else {
            throw PostgresError(kind: .decoding, statement: statement, message: "column \(columnName(column)) is NULL")
        }
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        return text.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }

    /// A value's text. In a binary result, only text columns have one: another type's value
    /// reads as nil here, and throws through `value`/`optional`.
    public func string(_ row: Int, _ column: Int) -> String? {
        guard let text = raw(row, column) else { return nil }
        guard binaryColumns[column] else { return String(cString: text) }
        guard Self.textTypes.contains(columnTypes[column]) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: text, count: length(row, column)), as: UTF8.self)
    }

    /// `string`, throwing for a binary value that is not text.
    func text(_ row: Int, _ column: Int) throws(PostgresError) -> String? {
        if binaryColumns[column], !isNull(row, column), !Self.textTypes.contains(columnTypes[column]) {
            throw decodingError("text (binary)", column)
        }
        return string(row, column)
    }

    public func int64(_ row: Int, _ column: Int) throws(PostgresError) -> Int64? {
        guard let text = raw(row, column) else { return nil }
        if binaryColumns[column] { return try binaryInteger(text, row, column) }
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
        if binaryColumns[column] { return try binaryDouble(text, row, column) }
        var end: UnsafeMutablePointer<CChar>?
        let value = strtod(text, &end)
        guard let end, end.pointee == 0, end != text else { throw decodingError("double precision", column) }
        return value
    }

    public func float(_ row: Int, _ column: Int) throws(PostgresError) -> Float? {
        guard let text = raw(row, column) else { return nil }
        if binaryColumns[column] {
            // A float8 column reads as the nearest float4, as its text would through strtof.
            return Float(try binaryDouble(text, row, column))
        }
        var end: UnsafeMutablePointer<CChar>?
        let value = strtof(text, &end)
        guard let end, end.pointee == 0, end != text else { throw decodingError("real", column) }
        return value
    }

    public func bool(_ row: Int, _ column: Int) throws(PostgresError) -> Bool? {
        guard let text = raw(row, column) else { return nil }
        if binaryColumns[column] {
            guard columnTypes[column] == 16, length(row, column) == 1 else { throw decodingError("boolean (binary)", column) }
            return text.pointee != 0
        }
        switch text.pointee {
        case CChar(UInt8(ascii: "t")): return true
        case CChar(UInt8(ascii: "f")): return false
        default: throw decodingError("boolean", column)
        }
    }

    public func timestamp(_ row: Int, _ column: Int) throws(PostgresError) -> PostgresTimestamp? {
        if binaryColumns[column] {
            guard let value = raw(row, column) else { return nil }
            // Microseconds since 2000-01-01 00:00 UTC, PostgreSQL's epoch.
            guard [1184, 1114].contains(columnTypes[column]), length(row, column) == 8 else { throw decodingError("timestamp (binary)", column) }
            return PostgresTimestamp(microsecondsSinceEpoch: bigEndian(value, as: Int64.self) + 946_684_800_000_000)
        }
        guard let text = string(row, column) else { return nil }
        guard let value = PostgresTimestamp(text: text) else { throw decodingError("timestamp with time zone", column) }
        return value
    }

    public func int16Array(_ row: Int, _ column: Int) throws(PostgresError) -> [Int16]? {
        try array(row, column, "smallint[]") { Int16($0) }
    }

    public func floatArray(_ row: Int, _ column: Int) throws(PostgresError) -> [Float]? {
        try array(row, column, "real[]") { Float($0) }
    }

    /// A one-dimensional array of text results, through the one array parser; binary results hold no arrays.
    private func array<Element>(_ row: Int, _ column: Int, _ type: String, _ convert: (String) -> Element?) throws(PostgresError) -> [Element]? {
        if binaryColumns[column], !isNull(row, column) { throw decodingError("array (binary results read no arrays)", column) }
        guard let text = string(row, column) else { return nil }
        guard let values = PostgresArrayText.flat(text.utf8, convert) else { throw decodingError(type, column) }
        return values
    }
}

/// A Swift type a result column decodes into.
public protocol PostgresDecodable: PostgresColumnDecodable {
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
    public static func decode(from result: PostgresResult, row: Int, column: Int) throws(PostgresError) -> String? { try result.text(row, column) }
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

extension Array: PostgresColumnDecodable where Element: PostgresArrayDecodable {}
