/// A PostgreSQL failure with its SQLSTATE and the name of the statement that failed. Its
/// description never contains row data or connection secrets.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case connection
        case server
        case protocolViolation
        case decoding
    }

    public var kind: Kind
    /// The five-character SQLSTATE (`23505` unique violation, `57P01` admin shutdown, …), when the server sent one.
    public var sqlState: String?
    /// What the caller called the statement (`insert brokermessages`), never its text or values.
    public var statement: String
    /// The server's primary message with any quoted value removed.
    public var message: String

    public init(kind: Kind, sqlState: String? = nil, statement: String, message: String) {
        self.kind = kind
        self.sqlState = sqlState
        self.statement = statement
        self.message = Self.redacted(message)
    }

    /// The statement was cancelled on request (`cancelRunningStatement`, SQLSTATE 57014).
    public var isCancellation: Bool { sqlState == "57014" }

    /// True for failures a new connection may cure: lost connections, server shutdowns.
    public var isConnectionLoss: Bool {
        if kind == .connection { return true }
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || sqlState == "57P01" || sqlState == "57P02" || sqlState == "57P03"
    }

    public var description: String {
        "PostgreSQL \(statement) failed" + (sqlState.map { " [SQLSTATE \($0)]" } ?? "") + ": \(message)"
    }

    /// Server messages such as `invalid input syntax for type bigint: "1234x"` quote the
    /// offending value; keep the sentence, drop the value.
    static func redacted(_ message: String) -> String {
        var text = message.trimmingCharactersInNewlines()
        if let range = text.range(of: ": \"", options: .backwards) {
            text = String(text[..<range.lowerBound]) + ": …"
        }
        // libpq connection errors can echo the conninfo's password.
        if let range = text.range(of: "password=") {
            text = String(text[..<range.lowerBound]) + "password=…"
        }
        return text
    }
}

private extension String {
    func trimmingCharactersInNewlines() -> String {
        var text = self
        while let last = text.last, last.isNewline || last == " " { text.removeLast() }
        return text
    }
}
