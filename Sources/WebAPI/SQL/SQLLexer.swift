/// Splits SQL into tokens exactly where PostgreSQL's lexer (`scan.l`) does, so that what the
/// gate reads is what the server runs: `--` comments end at `\n` or `\r`, `/* */` comments
/// nest, `'…'` strings double their quotes (backslashes are plain characters, the server's
/// `standard_conforming_strings`), `E'…'` strings also take backslash escapes, `"…"` identifiers
/// double their quotes, `$tag$…$tag$` quotes only end at the same tag, and bytes from 0x80 up
/// are identifier characters. Text the server would reject (an unterminated string, comment or
/// quote) is refused here too.
struct SQLLexer {
    enum Token: Equatable {
        /// A keyword or an unquoted identifier, upper-cased.
        case word(String)
        /// A quoted identifier, a string or a dollar-quoted string: never a keyword.
        case quoted
        case openParenthesis
        case closeParenthesis
        case semicolon
        /// Numbers, operators, parameters (`$1`) and other punctuation.
        case other
    }

    struct Unterminated: Error, CustomStringConvertible {
        var what: String
        var description: String { "the query has an unterminated \(what)" }
    }

    /// The tokens of `sql`, comments and white space left out.
    static func tokens(_ sql: String) throws(Unterminated) -> [Token] {
        let bytes = Array(sql.utf8)
        var tokens: [Token] = []
        var index = 0
        func at(_ offset: Int) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), 0x0C, 0x0B:
                index += 1
            case UInt8(ascii: "-") where at(1) == UInt8(ascii: "-"):
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n"), bytes[index] != UInt8(ascii: "\r") { index += 1 }
            case UInt8(ascii: "/") where at(1) == UInt8(ascii: "*"):
                var depth = 0
                repeat {
                    if at(0) == UInt8(ascii: "/"), at(1) == UInt8(ascii: "*") {
                        depth += 1
                        index += 2
                    } else if at(0) == UInt8(ascii: "*"), at(1) == UInt8(ascii: "/") {
                        depth -= 1
                        index += 2
                    } else if index < bytes.count {
                        index += 1
                    } else {
                        throw Unterminated(what: "/* comment")
                    }
                } while depth > 0
            case UInt8(ascii: "'"):
                index = try endOfString(bytes, from: index + 1, backslashEscapes: false)
                tokens.append(.quoted)
            case UInt8(ascii: "\""):
                index = try endOfQuoted(bytes, from: index + 1, quote: UInt8(ascii: "\""), what: "quoted identifier")
                tokens.append(.quoted)
            case UInt8(ascii: "$") where at(1).map(isIdentifierStart) == true || at(1) == UInt8(ascii: "$"):
                // `$tag$`: the tag is an identifier without `$`, or empty.
                var end = index + 1
                while end < bytes.count, isIdentifierStart(bytes[end]) || isDigit(bytes[end]) { end += 1 }
                guard end < bytes.count, bytes[end] == UInt8(ascii: "$") else {
                    tokens.append(.other)
                    index = end
                    continue
                }
                let tag = Array(bytes[index...end])
                index = end + 1
                while true {
                    guard index + tag.count <= bytes.count else { throw Unterminated(what: "dollar-quoted string") }
                    if bytes[index] == UInt8(ascii: "$"), Array(bytes[index..<(index + tag.count)]) == tag { break }
                    index += 1
                }
                index += tag.count
                tokens.append(.quoted)
            case UInt8(ascii: "("):
                tokens.append(.openParenthesis)
                index += 1
            case UInt8(ascii: ")"):
                tokens.append(.closeParenthesis)
                index += 1
            case UInt8(ascii: ";"):
                tokens.append(.semicolon)
                index += 1
            case let first where isIdentifierStart(first):
                let start = index
                while index < bytes.count, isIdentifierStart(bytes[index]) || isDigit(bytes[index]) || bytes[index] == UInt8(ascii: "$") {
                    index += 1
                }
                // Only ASCII letters fold, as in the server: keywords are ASCII.
                let word = String(decoding: bytes[start..<index].map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }, as: UTF8.self)
                // `E'…'` takes backslash escapes; `B'…'`, `X'…'`, `N'…'`, `U&'…'` are strings as usual.
                if index < bytes.count, bytes[index] == UInt8(ascii: "'"), ["E", "B", "X", "N"].contains(word) {
                    index = try endOfString(bytes, from: index + 1, backslashEscapes: word == "E")
                    tokens.append(.quoted)
                } else if word == "U", at(0) == UInt8(ascii: "&"), at(1) == UInt8(ascii: "'") || at(1) == UInt8(ascii: "\"") {
                    let quote = bytes[index + 1]
                    index = try endOfQuoted(bytes, from: index + 2, quote: quote, what: quote == UInt8(ascii: "'") ? "string" : "quoted identifier")
                    tokens.append(.quoted)
                } else {
                    tokens.append(.word(word))
                }
            default:
                tokens.append(.other)
                index += 1
            }
        }
        return tokens
    }

    /// The index after a string's closing quote; `''` is a quote inside it.
    private static func endOfString(_ bytes: [UInt8], from start: Int, backslashEscapes: Bool) throws(Unterminated) -> Int {
        var index = start
        while index < bytes.count {
            if backslashEscapes, bytes[index] == UInt8(ascii: "\\") {
                index += 2
                continue
            }
            if bytes[index] == UInt8(ascii: "'") {
                if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "'") {
                    index += 2
                    continue
                }
                return index + 1
            }
            index += 1
        }
        throw Unterminated(what: "string")
    }

    private static func endOfQuoted(_ bytes: [UInt8], from start: Int, quote: UInt8, what: String) throws(Unterminated) -> Int {
        var index = start
        while index < bytes.count {
            if bytes[index] == quote {
                if index + 1 < bytes.count, bytes[index + 1] == quote {
                    index += 2
                    continue
                }
                return index + 1
            }
            index += 1
        }
        throw Unterminated(what: what)
    }

    private static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "_") || byte >= 0x80
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
