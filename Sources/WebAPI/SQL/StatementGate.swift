/// The kinds of statement `db/runsqlquery/` runs: queries, and work on the caller's own
/// temporary tables. Anything that would end or change the transaction or the session
/// (`COMMIT`, `SET ROLE`, `SET statement_timeout`, `RESET`), copy, lock, call procedures or run
/// code (`COPY … TO PROGRAM`, `LOCK`, `DO`, `CALL`) is refused before it reaches the server.
/// The gate reads the statement with the server's own lexical rules (`SQLLexer`). It is one
/// wall of several: the role can only read and owns nothing, the transaction is read-only
/// unless the request works on temporary tables, and the runner checks after every statement
/// that the session is still inside the transaction it began.
public enum StatementGate {
    public struct Refused: Error, CustomStringConvertible {
        public var description: String
    }

    /// What a statement is, by its leading keywords.
    public enum Kind: Sendable, Equatable {
        /// Returns rows and runs as a cursor (`SELECT`, `WITH`, `VALUES`, `TABLE`).
        case query
        /// `SELECT … INTO t`: makes a temporary table, returns no rows.
        case selectInto
        /// Returns a few rows at most and reads only (`EXPLAIN`, `SHOW`).
        case inspection
        /// Works on the caller's temporary tables (`CREATE TEMP TABLE`, `INSERT` into one…).
        case temporaryTableWork

        /// Whether the statement needs a transaction that may write (to temporary tables).
        var writes: Bool { self == .selectInto || self == .temporaryTableWork }
    }

    static let queries: Set<String> = ["SELECT", "WITH", "VALUES", "TABLE"]
    static let inspections: Set<String> = ["EXPLAIN", "SHOW"]
    static let temporaryTableCommands: Set<String> = ["INSERT", "UPDATE", "DELETE", "DROP", "ANALYZE", "CREATE"]

    public static func check(_ sql: String, number: Int) throws(Refused) -> Kind {
        let tokens: [SQLLexer.Token]
        do { tokens = try SQLLexer.tokens(sql) } catch { throw Refused(description: "query \(number): \(error.description)") }
        var statement = tokens[...]
        while statement.last == .semicolon { statement = statement.dropLast() }
        if statement.contains(.semicolon) {
            throw Refused(description: "query \(number) holds more than one statement; send a list of queries instead")
        }
        let leading = statement.drop { $0 == .openParenthesis }
        let words = leading.prefix(4).map { token -> String? in if case .word(let word) = token { word } else { nil } }
        guard let first = words.first else { throw Refused(description: "query \(number) is empty") }
        guard let first else { throw Refused(description: "query \(number) does not start with a keyword") }
        let topLevel = topLevelWords(statement)
        if queries.contains(first) {
            // Only a statement without rows may run outside a cursor (and its row limit):
            // `INTO` is reserved, so at the top level it can only make one write into a table.
            if topLevel.contains("RETURNING") {
                throw Refused(description: "query \(number): RETURNING is not supported here; SELECT from the table afterwards")
            }
            return topLevel.contains("INTO") ? .selectInto : .query
        }
        if inspections.contains(first) { return .inspection }
        guard temporaryTableCommands.contains(first) else {
            throw Refused(
                description:
                    "query \(number): \(first) is not allowed here; only SELECT, WITH, VALUES, TABLE, EXPLAIN, SHOW, and CREATE TEMP TABLE, INSERT, UPDATE, DELETE, DROP, ANALYZE on your own temporary tables"
            )
        }
        if topLevel.contains("RETURNING") {
            throw Refused(description: "query \(number): RETURNING is not supported here; SELECT from the table afterwards")
        }
        if first == "CREATE" {
            let second = words.count > 1 ? words[1] : nil
            let third = words.count > 2 ? words[2] : nil
            let temporary = ["TEMP", "TEMPORARY"].contains(second)
            let localTemporary = ["LOCAL", "GLOBAL"].contains(second) && ["TEMP", "TEMPORARY"].contains(third)
            let index = second == "INDEX" || (second == "UNIQUE" && third == "INDEX")
            guard temporary || localTemporary || index else {
                throw Refused(description: "query \(number): only CREATE TEMP TABLE (or VIEW, SEQUENCE) and CREATE INDEX on it are allowed here")
            }
        }
        return .temporaryTableWork
    }

    /// The keywords outside any parentheses: `INTO` there makes `SELECT … INTO` a table, where
    /// inside a subquery or in a string it means nothing.
    static func topLevelWords(_ tokens: ArraySlice<SQLLexer.Token>) -> Set<String> {
        var depth = 0
        var words = Set<String>()
        for token in tokens {
            switch token {
            case .openParenthesis: depth += 1
            case .closeParenthesis: depth -= 1
            case .word(let word) where depth <= 0: words.insert(word)
            default: break
            }
        }
        return words
    }
}
