import Foundation
import JSON
import Postgres

/// A value of a long query's result as the TOM's runner holds it: what psycopg2 makes of
/// PostgreSQL's text (ints, floats, `Decimal`, `datetime`, parsed json, lists for arrays,
/// `str` for anything else), before pandas sees it. The CSV and pickle writers both start
/// from here, so the two formats cannot disagree about a value.
indirect enum PythonValue {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    /// `decimal.Decimal` of PostgreSQL's `numeric` text.
    case decimal(String)
    /// `datetime.datetime`; `utc`: aware, with `datetime.timezone.utc` (the session runs in UTC).
    case datetime(DateTimeParts, utc: Bool)
    case date(year: Int, month: Int, day: Int)
    case list([PythonValue])
    case dict([(String, PythonValue)])

    struct DateTimeParts {
        var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, microsecond: Int
    }

    /// psycopg2's value for PostgreSQL text of type `oid`; text it does not read otherwise (a
    /// year past 9999, `infinity`) stays a `str`.
    init(text: String, type oid: UInt32) {
        switch oid {
        case 16: self = .bool(text == "t")
        case 20, 21, 23, 26: self = Int64(text).map(PythonValue.int) ?? .string(text)
        case 700, 701: self = Self.float(text).map(PythonValue.float) ?? .string(text)
        case 1700: self = .decimal(text)
        case 114, 3802: self = (try? JSONValue.parse(Array(text.utf8))).map(PythonValue.init(json:)) ?? .string(text)
        case 1184: self = Self.dateTime(text, zoned: true).map { .datetime($0, utc: true) } ?? .string(text)
        case 1114: self = Self.dateTime(text, zoned: false).map { .datetime($0, utc: false) } ?? .string(text)
        case 1082: self = Self.dateTime(text + " 00:00:00", zoned: false).map { .date(year: $0.year, month: $0.month, day: $0.day) } ?? .string(text)
        default:
            if let element = Self.arrayElementTypes[oid], let array = PostgresArrayText.parse(text.utf8) {
                self = Self.value(of: array, elementType: element)
            } else {
                self = .string(text)
            }
        }
    }

    /// Array types psycopg2 turns into lists, and their elements' types.
    static let arrayElementTypes: [UInt32: UInt32] = [
        1000: 16, 1005: 21, 1007: 23, 1016: 20, 1028: 26, 1021: 700, 1022: 701, 1231: 1700, 199: 114, 3807: 3802, 1185: 1184, 1115: 1114,
        1182: 1082, 1009: 25, 1015: 1043, 1014: 1042, 1002: 18, 1003: 19, 2951: 2950,
    ]

    private static func value(of array: PostgresArrayText.Element, elementType: UInt32) -> PythonValue {
        switch array {
        case .null: .none
        case .text(let text): PythonValue(text: text, type: elementType)
        case .array(let elements): .list(elements.map { value(of: $0, elementType: elementType) })
        }
    }

    init(json: JSONValue) {
        switch json {
        case .null: self = .none
        case .bool(let value): self = .bool(value)
        case .int(let value): self = .int(value)
        case .double(let value): self = .float(value)
        case .float(let value): self = .float(Double(value.description) ?? Double(value))
        case .string(let value): self = .string(value)
        case .array(let elements): self = .list(elements.map(PythonValue.init(json:)))
        case .object(let members): self = .dict(members.map { ($0.0, PythonValue(json: $0.1)) })
        }
    }

    /// Python's `float()` of PostgreSQL's spelling (`NaN`, `Infinity`, `-Infinity` included).
    static func float(_ text: String) -> Double? {
        switch text {
        case "NaN": .nan
        case "Infinity": .infinity
        case "-Infinity": -.infinity
        default: Double(text)
        }
    }

    /// `2024-01-02 03:04:05.678+00` (zoned, the session in UTC) or without the offset.
    static func dateTime(_ text: String, zoned: Bool) -> DateTimeParts? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for index in range {
                guard bytes[index] >= 48, bytes[index] <= 57 else { return nil }
                value = value * 10 + Int(bytes[index] - 48)
            }
            return value
        }
        guard bytes.count >= 19, bytes[4] == 45, bytes[7] == 45, bytes[10] == 32, bytes[13] == 58, bytes[16] == 58,
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
            let minute = number(14..<16), let second = number(17..<19), year >= 1
        else { return nil }
        var index = 19
        var microsecond = 0
        if index < bytes.count, bytes[index] == 46 {
            var digits = 0
            index += 1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                guard digits < 6 else { return nil }
                microsecond = microsecond * 10 + Int(bytes[index] - 48)
                digits += 1
                index += 1
            }
            for _ in digits..<6 { microsecond *= 10 }
        }
        let rest = String(decoding: bytes[index...], as: UTF8.self)
        guard zoned ? rest == "+00" : rest.isEmpty else { return nil }
        return DateTimeParts(year: year, month: month, day: day, hour: hour, minute: minute, second: second, microsecond: microsecond)
    }

    // MARK: Python's spellings

    /// `str(value)`, as `DataFrame.to_csv` writes a value of an object column.
    var pythonStr: String {
        switch self {
        case .string(let text): text
        case .decimal(let text): Self.decimalStr(text)
        case .datetime(let parts, let utc): Self.isoDateTime(parts, separator: " ") + (utc ? "+00:00" : "")
        case .date(let year, let month, let day): Self.isoDate(year, month, day)
        default: pythonRepr
        }
    }

    /// `repr(value)`, as Python writes a value inside a list or dict.
    var pythonRepr: String {
        switch self {
        case .none: "None"
        case .bool(let value): value ? "True" : "False"
        case .int(let value): String(value)
        case .float(let value): Self.floatRepr(value)
        case .string(let text): Self.stringRepr(text)
        case .decimal(let text): "Decimal(\(Self.stringRepr(Self.decimalStr(text))))"
        case .datetime(let parts, let utc):
            "datetime.datetime("
                + ([parts.year, parts.month, parts.day, parts.hour, parts.minute]
                + (parts.second != 0 || parts.microsecond != 0 ? [parts.second] : [])
                + (parts.microsecond != 0 ? [parts.microsecond] : [])).map(String.init).joined(separator: ", ")
                + (utc ? ", tzinfo=datetime.timezone.utc)" : ")")
        case .date(let year, let month, let day): "datetime.date(\(year), \(month), \(day))"
        case .list(let elements): "[" + elements.map(\.pythonRepr).joined(separator: ", ") + "]"
        case .dict(let members): "{" + members.map { Self.stringRepr($0.0) + ": " + $0.1.pythonRepr }.joined(separator: ", ") + "}"
        }
    }

    static func isoDate(_ year: Int, _ month: Int, _ day: Int) -> String {
        pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
    }

    /// `datetime.isoformat(sep)`: the fraction only when there is one.
    static func isoDateTime(_ parts: DateTimeParts, separator: String) -> String {
        isoDate(parts.year, parts.month, parts.day) + separator + pad(parts.hour, 2) + ":" + pad(parts.minute, 2) + ":" + pad(parts.second, 2)
            + (parts.microsecond != 0 ? "." + pad(parts.microsecond, 6) : "")
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Python's `repr(float)`: the shortest digits that read back, in positional notation for
    /// decimal exponents from -4 to 15 (with `.0` when whole), else as `1.5e-07` / `1e+16`.
    static func floatRepr(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        // Swift's description holds the same shortest digits; only the layout differs.
        var text = Substring(value.magnitude.description)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = text[..<e]
        }
        let point = text.firstIndex(of: ".")
        let integerPart = point.map { text[..<$0] } ?? text
        let fractionPart = point.map { text[text.index(after: $0)...] } ?? ""
        var digits = Array(integerPart + fractionPart)
        var pointPosition = integerPart.count + exponent
        while digits.first == "0" {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        let sign = value < 0 ? "-" : ""
        let decimalExponent = pointPosition - 1
        if decimalExponent < -4 || decimalExponent >= 16 {
            let mantissa = String(digits[0]) + (digits.count > 1 ? "." + String(digits[1...]) : "")
            let magnitude = pad(abs(decimalExponent), 2)
            return sign + mantissa + "e" + (decimalExponent < 0 ? "-" : "+") + magnitude
        }
        if pointPosition <= 0 { return sign + "0." + String(repeating: "0", count: -pointPosition) + String(digits) }
        if pointPosition >= digits.count { return sign + String(digits) + String(repeating: "0", count: pointPosition - digits.count) + ".0" }
        return sign + String(digits[..<pointPosition]) + "." + String(digits[pointPosition...])
    }

    /// `str(Decimal(text))`: positional while the exponent is at most 0 and the adjusted
    /// exponent at least -6, else scientific (`1E-7`, `1.5E+3` never arises from numeric text).
    static func decimalStr(_ text: String) -> String {
        guard text != "NaN", text != "Infinity", text != "-Infinity" else { return text }
        let negative = text.hasPrefix("-")
        let unsigned = negative ? String(text.dropFirst()) : text
        let parts = unsigned.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else { return text }
        let integerPart = String(parts[0])
        let fractionPart = parts.count == 2 ? String(parts[1]) : ""
        var coefficient = String((integerPart + fractionPart).drop { $0 == "0" })
        if coefficient.isEmpty { coefficient = "0" }
        let exponent = -fractionPart.count
        let adjusted = exponent + coefficient.count - 1
        if exponent <= 0, adjusted >= -6 { return text }
        let mantissa = coefficient.count > 1 ? String(coefficient.first!) + "." + coefficient.dropFirst() : coefficient
        return (negative ? "-" : "") + mantissa + "E" + (adjusted < 0 ? "-" : "+") + String(abs(adjusted))
    }

    /// Python's `repr(str)`: single quotes unless the text holds one and no double quote;
    /// backslashes, the quote, and control characters escaped.
    static func stringRepr(_ text: String) -> String {
        let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(scalar) == quote {
                    out += "\\" + String(quote)
                } else if scalar.value < 0x20 || scalar.value == 0x7f || (scalar.value >= 0x80 && scalar.value < 0xa0) {
                    out += "\\x" + hexPad(Int(scalar.value), 2)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append(quote)
        return out
    }

    static func hexPad(_ value: Int, _ width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
