import CLibPQ
import Foundation

/// One libpq connection. Calls are serialised by a lock, so the connection can be shared, but
/// each call blocks: run them off Swift's cooperative pool.
public final class PostgresConnection: @unchecked Sendable {
    // `connection` is only touched while `lock` is held.
    private var connection: OpaquePointer?
    private let lock = NSRecursiveLock()
    private let conninfo: String

    /// Connects with a libpq conninfo string or `postgresql://` URL ("" uses libpq's PG* defaults).
    public init(_ conninfo: String, applicationName: String = "elasticc-stream") throws(PostgresError) {
        self.conninfo = conninfo
        try connect(applicationName: applicationName)
    }

    deinit {
        if let connection { PQfinish(connection) }
    }

    private func connect(applicationName: String) throws(PostgresError) {
        let keys = ["dbname", "application_name", "options"]
        let values = [conninfo, applicationName, "-c TimeZone=UTC -c DateStyle=ISO"]
        let handle = withCStrings(keys) { keyPointers in
            withCStrings(values) { valuePointers in
                PQconnectdbParams(keyPointers, valuePointers, 1)
            }
        }
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            if let handle { PQfinish(handle) }
            throw PostgresError(kind: .connection, statement: "connect", message: message)
        }
        if let old = connection { PQfinish(old) }
        connection = handle
    }

    /// Drops the connection and opens a new one (after a server restart, say).
    public func reconnect() throws(PostgresError) {
        lock.lock(); defer { lock.unlock() }
        try connect(applicationName: "elasticc-stream")
    }

    public var isConnected: Bool {
        lock.lock(); defer { lock.unlock() }
        return connection.map { PQstatus($0) == CONNECTION_OK } ?? false
    }

    /// Runs one statement with `$1…$n` parameters sent separately from the SQL text.
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = [], statement: String) throws(PostgresError) -> PostgresResult {
        lock.lock(); defer { lock.unlock() }
        let texts = parameters.map(\.textEncoding)
        let result: OpaquePointer? = withOptionalCStrings(texts) { pointers in
            PQexecParams(connection, sql, Int32(texts.count), nil, pointers, nil, nil, 0)
        }
        return try check(result, statement: statement)
    }

    /// Runs SQL without parameters; it may hold several statements (migrations).
    public func execute(script sql: String, statement: String) throws(PostgresError) {
        lock.lock(); defer { lock.unlock() }
        _ = try check(PQexec(connection, sql), statement: statement)
    }

    private func check(_ result: OpaquePointer?, statement: String) throws(PostgresError) -> PostgresResult {
        guard let result else {
            throw PostgresError(kind: .connection, statement: statement, message: connection.map { String(cString: PQerrorMessage($0)) } ?? "no connection")
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PostgresResult(result, statement: statement)
        default:
            let error = Self.error(from: result, statement: statement, connection: connection)
            PQclear(result)
            throw error
        }
    }

    private static func error(from result: OpaquePointer, statement: String, connection: OpaquePointer?) -> PostgresError {
        let sqlState = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        let primary = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
            ?? connection.map { String(cString: PQerrorMessage($0)) } ?? "unknown error"
        let lost = connection.map { PQstatus($0) != CONNECTION_OK } ?? true
        return PostgresError(kind: lost ? .connection : .server, sqlState: sqlState, statement: statement, message: primary)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    @discardableResult
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        lock.lock(); defer { lock.unlock() }
        try query("BEGIN", statement: "begin")
        do {
            let value = try body()
            try query("COMMIT", statement: "commit")
            return value
        } catch {
            _ = try? query("ROLLBACK", statement: "rollback")
            throw error
        }
    }

    /// Streams rows into `COPY table (columns) FROM STDIN`, in binary format (added here, so
    /// `copySQL` names no options); returns the rows copied. `freeze` writes the rows frozen,
    /// for a table created or truncated in the current transaction.
    @discardableResult
    public func copyIn(_ copySQL: String, freeze: Bool = false, statement: String, rows: (CopyInBuffer) throws -> Void) throws -> Int {
        lock.lock(); defer { lock.unlock() }
        guard let start = PQexec(connection, copySQL + (freeze ? " WITH (FORMAT binary, FREEZE)" : " WITH (FORMAT binary)")) else {
            throw PostgresError(kind: .connection, statement: statement, message: "no connection")
        }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            let error = Self.error(from: start, statement: statement, connection: connection)
            PQclear(start)
            throw error
        }
        PQclear(start)
        let connection = self.connection
        let buffer = CopyInBuffer { (chunk: [UInt8]) throws(PostgresError) in
            let status = chunk.withUnsafeBufferPointer { pointer in
                pointer.withMemoryRebound(to: CChar.self) { PQputCopyData(connection, $0.baseAddress, Int32($0.count)) }
            }
            guard status == 1 else {
                throw PostgresError(kind: .connection, statement: statement, message: String(cString: PQerrorMessage(connection)))
            }
        }
        var failure: Error?
        do {
            try rows(buffer)
            try buffer.finish()
        } catch {
            failure = error
        }
        PQputCopyEnd(connection, failure == nil ? nil : "aborted by client")
        var serverError: PostgresError?
        while let result = PQgetResult(connection) {
            if PQresultStatus(result) != PGRES_COMMAND_OK, serverError == nil {
                serverError = Self.error(from: result, statement: statement, connection: connection)
            }
            PQclear(result)
        }
        if let failure { throw failure }
        if let serverError { throw serverError }
        return buffer.rowCount
    }

    /// Takes a session-level advisory lock if no other session holds it.
    public func tryAdvisoryLock(_ key: Int64) throws(PostgresError) -> Bool {
        try query("SELECT pg_try_advisory_lock($1)", [.bigint(key)], statement: "try advisory lock").bool(0, 0) ?? false
    }

    public func advisoryUnlock(_ key: Int64) throws(PostgresError) {
        try query("SELECT pg_advisory_unlock($1)", [.bigint(key)], statement: "advisory unlock")
    }

    /// Waits for a transaction-level advisory lock, released at COMMIT or ROLLBACK.
    public func advisoryTransactionLock(_ key: Int64) throws(PostgresError) {
        try query("SELECT pg_advisory_xact_lock($1)", [.bigint(key)], statement: "advisory transaction lock")
    }
}

private func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    withOptionalCStrings(strings.map { Optional($0) }) { pointers in body(pointers + [nil]) }
}

private func withOptionalCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } }
    defer { copies.forEach { free($0) } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}
