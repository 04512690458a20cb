import BlockingWork
import CLibPQ
import Foundation

/// One libpq connection and the thread its blocking calls run on.
///
/// From async code, use the `async` methods (or `run`, or an actor whose executor is
/// `executor`): they run on this connection's own `BlockingExecutor`, never on Swift's
/// cooperative pool. The synchronous methods block the calling thread; they are for code that
/// already runs on `executor`, and for command-line work with no concurrency around it.
///
/// `@unchecked Sendable`: libpq is thread-safe as long as no two threads use one `PGconn` at the
/// same time (libpq manual, "Behavior in Threaded Programs"); every use of `connection` holds
/// `lock`, except `PQcancel` on `cancelHandle`, which libpq allows from any thread at any time.
public final class PostgresConnection: @unchecked Sendable {
    private var connection: OpaquePointer?
    private var cancelHandle: OpaquePointer?
    private let lock = NSRecursiveLock()
    private let cancelLock = NSLock()
    private let conninfo: String
    private let applicationName: String
    /// libpq's `connect_timeout` in whole seconds (it takes 2 at least), or none: wait as long as the system does.
    private let connectTimeoutSeconds: Int?
    /// Where this connection's blocking calls run when called from async code.
    public let executor: BlockingExecutor

    /// Connects with a libpq conninfo string or `postgresql://` URL ("" uses libpq's PG* defaults),
    /// blocking the calling thread.
    public init(_ conninfo: String, applicationName: String = "elasticc-stream", connectTimeout: Duration? = nil) throws(PostgresError) {
        self.conninfo = conninfo
        self.applicationName = applicationName
        connectTimeoutSeconds = connectTimeout.map(Self.wholeSeconds)
        executor = BlockingExecutor(label: "postgres: \(applicationName)")
        try connect()
    }

    /// Connects on the new connection's own executor.
    public static func open(_ conninfo: String, applicationName: String = "elasticc-stream") async throws(PostgresError) -> PostgresConnection {
        let connection = PostgresConnection(unconnected: conninfo, applicationName: applicationName)
        try await connection.executor.run { () throws(PostgresError) in try connection.connect() }
        return connection
    }

    private init(unconnected conninfo: String, applicationName: String) {
        self.conninfo = conninfo
        self.applicationName = applicationName
        connectTimeoutSeconds = nil
        executor = BlockingExecutor(label: "postgres: \(applicationName)")
    }

    deinit {
        if let cancelHandle { PQfreeCancel(cancelHandle) }
        if let connection { PQfinish(connection) }
    }

    private func connect() throws(PostgresError) {
        lock.lock()
        defer { lock.unlock() }
        var keys = ["dbname", "application_name", "options"]
        var values = [conninfo, applicationName, "-c TimeZone=UTC -c DateStyle=ISO"]
        if let connectTimeoutSeconds {
            keys.append("connect_timeout")
            values.append(String(connectTimeoutSeconds))
        }
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
        let cancel = PQgetCancel(handle)
        cancelLock.withLock {
            if let old = cancelHandle { PQfreeCancel(old) }
            cancelHandle = cancel
        }
        if let old = connection { PQfinish(old) }
        connection = handle
    }

    private static func wholeSeconds(_ duration: Duration) -> Int {
        max(2, Int((duration / .seconds(1)).rounded(.up)))
    }

    /// Where the session stands with transactions, as libpq last saw it.
    public enum TransactionStatus: Sendable, Equatable {
        case idle, active, inTransaction, inFailedTransaction, unknown
    }

    public var transactionStatus: TransactionStatus {
        lock.lock()
        defer { lock.unlock() }
        guard let connection else { return .unknown }
        switch PQtransactionStatus(connection) {
        case PQTRANS_IDLE: return .idle
        case PQTRANS_ACTIVE: return .active
        case PQTRANS_INTRANS: return .inTransaction
        case PQTRANS_INERROR: return .inFailedTransaction
        default: return .unknown
        }
    }

    /// `password` hashed for `role` by libpq with the server's `password_encryption` (SCRAM on
    /// PostgreSQL 14 and later), so that only the hash is ever sent in SQL.
    public func encryptedPassword(_ password: String, role: String) throws(PostgresError) -> String {
        lock.lock()
        defer { lock.unlock() }
        guard let hashed = PQencryptPasswordConn(connection, password, role, nil) else {
            throw PostgresError(
                kind: .server, statement: "encrypt the password", message: connection.map { String(cString: PQerrorMessage($0)) } ?? "no connection")
        }
        defer { PQfreemem(hashed) }
        return String(cString: hashed)
    }

    /// Ends the session now (its temporary tables, locks and open transaction go with it);
    /// any later statement fails as a lost connection.
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        cancelLock.withLock {
            if let cancelHandle { PQfreeCancel(cancelHandle) }
            cancelHandle = nil
        }
        if let connection { PQfinish(connection) }
        connection = nil
    }

    /// Drops the connection and opens a new one (after a server restart, say).
    public func reconnect() throws(PostgresError) {
        try connect()
    }

    /// Asks the server to cancel the statement running on this connection, from any thread;
    /// the statement then fails with SQLSTATE 57014. Returns whether the request was sent.
    @discardableResult
    public func cancelRunningStatement() -> Bool {
        cancelLock.withLock {
            guard let cancelHandle else { return false }
            var errorText = [CChar](repeating: 0, count: 256)
            return PQcancel(cancelHandle, &errorText, Int32(errorText.count)) == 1
        }
    }

    /// Runs blocking work with this connection on its executor; a cancelled task cancels the
    /// statement in flight.
    public func run<T: Sendable>(_ body: @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await withTaskCancellationHandler {
            try await executor.run { try body(self) }
        } onCancel: {
            _ = self.cancelRunningStatement()
        }
    }

    public var isConnected: Bool {
        lock.lock()
        defer { lock.unlock() }
        return connection.map { PQstatus($0) == CONNECTION_OK } ?? false
    }

    /// Runs one statement; its interpolated values are sent as parameters, apart from the SQL.
    /// `.binary` results skip the server's number-to-text and our text-to-number work; they read integers, floats, booleans, text and
    /// timestamps, not arrays.
    @discardableResult
    public func query(_ query: PostgresQuery, statement: String, results: PostgresResultFormat = .text) throws(PostgresError) -> PostgresResult {
        // libpq sends text parameters as C strings: a NUL would cut the value short unseen.
        if query.bindings.contains(where: \.holdsNUL) {
            throw PostgresError(kind: .server, sqlState: "22021", statement: statement, message: "a text parameter holds a NUL character")
        }
        lock.lock()
        defer { lock.unlock() }
        let wire = query.bindings.map(\.wire)
        let types = wire.map { Oid($0.oid) }
        let formats = wire.map(\.format)
        let lengths = wire.map { Int32($0.bytes?.count ?? 0) }
        let result: OpaquePointer? = withParameterPointers(wire.map(\.bytes)) { pointers in
            PQexecParams(connection, query.sql, Int32(wire.count), types, pointers, lengths, formats, results.rawValue)
        }
        return try check(result, statement: statement)
    }

    /// `query` on this connection's executor; a cancelled task cancels the statement.
    @discardableResult
    public func query(_ query: PostgresQuery, statement: String, results: PostgresResultFormat = .text) async throws -> PostgresResult {
        try await run { connection in try connection.query(query, statement: statement, results: results) }
    }

    /// Runs SQL without parameters; it may hold several statements (migrations).
    public func execute(script sql: String, statement: String) throws(PostgresError) {
        lock.lock()
        defer { lock.unlock() }
        _ = try check(PQexec(connection, sql), statement: statement)
    }

    private func check(_ result: OpaquePointer?, statement: String) throws(PostgresError) -> PostgresResult {
        guard let result else {
            throw PostgresError(
                kind: .connection, statement: statement, message: connection.map { String(cString: PQerrorMessage($0)) } ?? "no connection")
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
        let primary =
            PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
            ?? connection.map { String(cString: PQerrorMessage($0)) } ?? "unknown error"
        let lost = connection.map { PQstatus($0) != CONNECTION_OK } ?? true
        return PostgresError(kind: lost ? .connection : .server, sqlState: sqlState, statement: statement, message: primary)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    @discardableResult
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
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

    /// `copyIn` with rows built beforehand: the connection only sends them.
    @discardableResult
    public func copyIn(_ copySQL: String, payload: CopyPayload, statement: String) throws -> Int {
        lock.lock()
        defer { lock.unlock() }
        let connection = self.connection
        return try copyInLocked(copySQL, freeze: false, statement: statement) {
            for chunk in payload.chunks {
                try chunk.withUnsafeBytes { try Self.putCopyData($0, on: connection, statement: statement) }
            }
            return payload.rowCount
        }
    }

    private static func putCopyData(_ chunk: UnsafeRawBufferPointer, on connection: OpaquePointer?, statement: String) throws(PostgresError) {
        let status = PQputCopyData(connection, chunk.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(chunk.count))
        guard status == 1 else {
            throw PostgresError(kind: .connection, statement: statement, message: String(cString: PQerrorMessage(connection)))
        }
    }

    /// Streams rows into `COPY table (columns) FROM STDIN`, in binary format (added here, so
    /// `copySQL` names no options); returns the rows copied. `freeze` writes the rows frozen,
    /// for a table created or truncated in the current transaction.
    @discardableResult
    public func copyIn(_ copySQL: String, freeze: Bool = false, statement: String, rows: (CopyInBuffer) throws -> Void) throws -> Int {
        lock.lock()
        defer { lock.unlock() }
        let connection = self.connection
        return try copyInLocked(copySQL, freeze: freeze, statement: statement) {
            let buffer = CopyInBuffer { (chunk: UnsafeRawBufferPointer) throws(PostgresError) in
                try Self.putCopyData(chunk, on: connection, statement: statement)
            }
            try rows(buffer)
            try buffer.finish()
            return buffer.rowCount
        }
    }

    /// Starts a binary COPY FROM STDIN, lets `send` hand over the rows (returning their count),
    /// and ends it: aborted if `send` throws. The caller holds the lock.
    private func copyInLocked(_ copySQL: String, freeze: Bool, statement: String, send: () throws -> Int) throws -> Int {
        guard let start = PQexec(connection, copySQL + (freeze ? " WITH (FORMAT binary, FREEZE)" : " WITH (FORMAT binary)")) else {
            throw PostgresError(kind: .connection, statement: statement, message: "no connection")
        }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            let error = Self.error(from: start, statement: statement, connection: connection)
            PQclear(start)
            throw error
        }
        PQclear(start)
        var failure: Error?
        var rowCount = 0
        do {
            rowCount = try send()
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
        return rowCount
    }

    /// Takes a session-level advisory lock if no other session holds it.
    public func tryAdvisoryLock(_ key: Int64) throws(PostgresError) -> Bool {
        try query("SELECT pg_try_advisory_lock(\(key))", statement: "try advisory lock").value(0, 0, as: Bool.self)
    }

    public func tryAdvisoryLock(_ key: Int64) async throws -> Bool {
        try await run { connection in try connection.tryAdvisoryLock(key) }
    }

    public func advisoryUnlock(_ key: Int64) throws(PostgresError) {
        try query("SELECT pg_advisory_unlock(\(key))", statement: "advisory unlock")
    }

    public func advisoryUnlock(_ key: Int64) async throws {
        try await run { connection in try connection.advisoryUnlock(key) }
    }

    /// Waits for a transaction-level advisory lock, released at COMMIT or ROLLBACK.
    public func advisoryTransactionLock(_ key: Int64) throws(PostgresError) {
        try query("SELECT pg_advisory_xact_lock(\(key))", statement: "advisory transaction lock")
    }
}

/// Parameter bytes as libpq wants them: one NUL-terminated copy per value, nil for NULL.
private func withParameterPointers<R>(_ values: [[UInt8]?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = values.map { bytes in
        bytes.map { bytes in
            // Text values must end in NUL (libpq reads them as C strings); binary ones use the length.
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            bytes.withUnsafeBytes { raw in
                if let base = raw.baseAddress { copy.update(from: base.assumingMemoryBound(to: CChar.self), count: bytes.count) }
            }
            copy[bytes.count] = 0
            return copy
        }
    }
    defer { for copy in copies { copy?.deallocate() } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}

private func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    withOptionalCStrings(strings.map { Optional($0) }) { pointers in body(pointers + [nil]) }
}

private func withOptionalCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } }
    defer { for copy in copies { free(copy) } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}
