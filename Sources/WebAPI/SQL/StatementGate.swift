/// The kinds of statement `db/runsqlquery/` runs: queries, and work on the caller's own
/// temporary tables. Anything that would end or change the transaction or the session
/// (`COMMIT`, `SET ROLE`, `SET statement_timeout`, `RESET`), copy, lock, call procedures or run
/// code (`COPY … TO PROGRAM`, `LOCK`, `DO`, `CALL`) is refused before it reaches the server.
/// This is the second wall: the first is the role, which can only read, and the rolled-back
/// transaction; a statement the gate lets through still meets both.
public enum StatementGate {
    public struct Refused: Error, CustomStringConvertible {
        public var description: String
    }

    /// What a statement is, by its leading keywords.
    public enum Kind: Sendable, Equatable {
        /// Returns rows and can run as a cursor (`SELECT`, `WITH`, `VALUES`, `TABLE`).
        case query
        /// Anything else allowed (`EXPLAIN`, `SHOW`, `CREATE TEMP TABLE`, `INSERT` into one…).
        case command
    }

    static let queries: Set<String> = ["SELECT", "WITH", "VALUES", "TABLE"]
    static let commands: Set<String> = ["EXPLAIN", "SHOW", "INSERT", "UPDATE", "DELETE", "DROP", "ANALYZE", "CREATE"]

    public static func check(_ sql: String, number: Int) throws(Refused) -> Kind {
        let words = leadingWords(sql, count: 4)
        guard let first = words.first else { throw Refused(description: "query \(number) is empty") }
        if queries.contains(first) {
            // `SELECT … INTO t` creates a table; `CREATE TEMP TABLE t AS …` says so openly.
            return .query
        }
        guard commands.contains(first) else {
            throw Refused(
                description:
                    "query \(number): \(first) is not allowed here; only SELECT, WITH, VALUES, TABLE, EXPLAIN, SHOW, and CREATE TEMP TABLE, INSERT, UPDATE, DELETE, DROP, ANALYZE on your own temporary tables"
            )
        }
        if first == "CREATE" {
            let temporary = words.count > 1 && ["TEMP", "TEMPORARY"].contains(words[1])
            let localTemporary = words.count > 2 && ["LOCAL", "GLOBAL"].contains(words[1]) && ["TEMP", "TEMPORARY"].contains(words[2])
            let index = words.count > 1 && (words[1] == "INDEX" || (words[1] == "UNIQUE" && words.count > 2 && words[2] == "INDEX"))
            guard temporary || localTemporary || index else {
                throw Refused(description: "query \(number): only CREATE TEMP TABLE (or VIEW, SEQUENCE) and CREATE INDEX on it are allowed here")
            }
        }
        return .command
    }

    /// The first words of a statement in upper case, after white space, comments and opening
    /// parentheses (`(SELECT …)`).
    static func leadingWords(_ sql: String, count: Int) -> [String] {
        var words: [String] = []
        var scalars = Array(sql.unicodeScalars)[...]
        while words.count < count {
            // Skip space, `--` comments, `/* */` comments (nested, as PostgreSQL nests them) and `(`.
            while let first = scalars.first {
                if first.properties.isWhitespace || first == "(" {
                    scalars = scalars.dropFirst()
                } else if first == "-", scalars.dropFirst().first == "-" {
                    scalars = scalars.drop { $0 != "\n" }
                } else if first == "/", scalars.dropFirst().first == "*" {
                    var depth = 0
                    var index = scalars.startIndex
                    while index < scalars.endIndex {
                        if scalars[index] == "/", index + 1 < scalars.endIndex, scalars[index + 1] == "*" {
                            depth += 1
                            index += 2
                        } else if scalars[index] == "*", index + 1 < scalars.endIndex, scalars[index + 1] == "/" {
                            depth -= 1
                            index += 2
                            if depth == 0 { break }
                        } else {
                            index += 1
                        }
                    }
                    scalars = scalars[index...]
                } else {
                    break
                }
            }
            let word = scalars.prefix { $0.properties.isAlphabetic || $0 == "_" }
            guard !word.isEmpty else { break }
            words.append(String(String.UnicodeScalarView(word)).uppercased())
            scalars = scalars.dropFirst(word.count)
        }
        return words
    }
}
