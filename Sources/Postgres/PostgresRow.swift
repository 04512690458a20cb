/// One row of a result, read whole into a tuple of Swift types (postgres-nio's
/// `row.decode((Int64, String?).self)` is the model) or a column at a time by name. A NULL where
/// the type is not optional, a wrong type, or a row whose width is not the tuple's throws a
/// decoding error naming the column and the statement.
public struct PostgresRow: Sendable {
    public let result: PostgresResult
    public let index: Int

    /// The row's columns in order, as one tuple: `let (id, name) = try row.decode((Int64, String?).self)`.
    @inlinable
    public func decode<each Column: PostgresColumnDecodable>(_ types: (repeat each Column).Type) throws(PostgresError) -> (repeat each Column) {
        var width = 0
        for _ in repeat (each Column).self { width += 1 }
        guard width == result.columnCount else { throw result.widthError(expected: width) }
        var column = 0
        func next<Value: PostgresColumnDecodable>(_ type: Value.Type) throws(PostgresError) -> Value {
            defer { column += 1 }
            return try Value.decodeColumn(from: result, row: index, column: column)
        }
        return (repeat try next((each Column).self))
    }

    /// The column called `name`.
    @inlinable
    public func decode<Value: PostgresColumnDecodable>(_ type: Value.Type = Value.self, column name: String) throws(PostgresError) -> Value {
        guard let column = result.column(named: name) else { throw result.missingColumn(name) }
        return try Value.decodeColumn(from: result, row: index, column: column)
    }

    /// A value's text as bytes (a JSON document PostgreSQL made, say); NULL throws.
    public func textBytes(at column: Int) throws(PostgresError) -> [UInt8] {
        try result.textBytes(index, column)
    }

    /// Column `column`, for rows whose width is not known ahead (a table's float columns), or
    /// with positions found once by name (`PostgresResult.columnIndex`).
    @inlinable
    public func decode<Value: PostgresColumnDecodable>(_ type: Value.Type = Value.self, at column: Int) throws(PostgresError) -> Value {
        try Value.decodeColumn(from: result, row: index, column: column)
    }
}

/// The rows of a result, in order.
public struct PostgresRows: RandomAccessCollection, Sendable {
    public let result: PostgresResult
    public var startIndex: Int { 0 }
    public var endIndex: Int { result.rowCount }
    public subscript(position: Int) -> PostgresRow { PostgresRow(result: result, index: position) }
}

extension PostgresResult {
    public var rows: PostgresRows { PostgresRows(result: self) }

    /// The position of the column called `name`, to read many rows by it without looking it up each time.
    public func columnIndex(_ name: String) throws(PostgresError) -> Int {
        guard let index = column(named: name) else { throw missingColumn(name) }
        return index
    }

    /// The only row, decoded; none or more than one throws.
    @inlinable
    public func single<each Column: PostgresColumnDecodable>(_ types: (repeat each Column).Type) throws(PostgresError) -> (repeat each Column) {
        guard rowCount == 1 else { throw rowCountError(expected: "exactly one row") }
        return try rows[0].decode(types)
    }

    /// A row read as `expected` columns that has another number.
    public func widthError(expected: Int) -> PostgresError {
        PostgresError(kind: .decoding, statement: statement, message: "a row of \(columnCount) columns read as \(expected)")
    }

    @usableFromInline
    func missingColumn(_ name: String) -> PostgresError {
        PostgresError(kind: .decoding, statement: statement, message: "no column \(name)")
    }

    /// A result with another number of rows than `expected` says.
    public func rowCountError(expected: String) -> PostgresError {
        PostgresError(kind: .decoding, statement: statement, message: "\(rowCount) rows where \(expected) was expected")
    }
}

/// A Swift type one column decodes into: a `PostgresDecodable` value, which a NULL fails, or
/// an optional one, which a NULL leaves nil.
public protocol PostgresColumnDecodable {
    static func decodeColumn(from result: PostgresResult, row: Int, column: Int) throws(PostgresError) -> Self
}

extension PostgresDecodable {
    @inlinable
    public static func decodeColumn(from result: PostgresResult, row: Int, column: Int) throws(PostgresError) -> Self {
        try result.value(row, column, as: Self.self)
    }
}

extension Optional: PostgresColumnDecodable where Wrapped: PostgresDecodable {
    @inlinable
    public static func decodeColumn(from result: PostgresResult, row: Int, column: Int) throws(PostgresError) -> Wrapped? {
        try result.optional(row, column, as: Wrapped.self)
    }
}
