import Foundation

/// A query parameter. Scalars travel in PostgreSQL's text format with their type left to the
/// server (as a literal would be); arrays and bytea travel in binary with their real type, so
/// no value is ever spliced into SQL or hand-built as `{…}` text or hex.
public enum PostgresValue: Sendable, Hashable {
    case null
    case bigint(Int64)
    case integer(Int32)
    case smallint(Int16)
    case real(Float)
    case double(Double)
    case boolean(Bool)
    case text(String)
    case timestamp(PostgresTimestamp)
    case bytea([UInt8])
    case smallintArray([Int16])
    case integerArray([Int32])
    case bigintArray([Int64])
    case realArray([Float])
    case doubleArray([Double])
    case textArray([String])

    /// Whether it is text holding a NUL, which a text parameter cannot carry.
    var holdsNUL: Bool {
        switch self {
        case .text(let value): value.utf8.contains(0)
        case .textArray(let values): values.contains { $0.utf8.contains(0) }
        default: false
        }
    }

    /// What libpq sends: the type OID (0: the server infers it), the format (0 text, 1 binary)
    /// and the bytes (nil for NULL).
    public var wire: (oid: UInt32, format: Int32, bytes: [UInt8]?) {
        switch self {
        case .null: (0, 0, nil)
        case .bigint(let value): (0, 0, Array(String(value).utf8))
        case .integer(let value): (0, 0, Array(String(value).utf8))
        case .smallint(let value): (0, 0, Array(String(value).utf8))
        case .real(let value): (0, 0, Array(PostgresText.real(value).utf8))
        case .double(let value): (0, 0, Array(PostgresText.double(value).utf8))
        case .boolean(let value): (0, 0, value ? [UInt8(ascii: "t")] : [UInt8(ascii: "f")])
        case .text(let value): (0, 0, Array(value.utf8))
        case .timestamp(let value): (0, 0, Array(value.text.utf8))
        case .bytea(let bytes): (PostgresBinary.byteaOID, 1, bytes)
        case .smallintArray(let values): (1005, 1, PostgresBinary.array(values, elementOID: 21) { PostgresBinary.bigEndian($0) })
        case .integerArray(let values): (1007, 1, PostgresBinary.array(values, elementOID: 23) { PostgresBinary.bigEndian($0) })
        case .bigintArray(let values): (1016, 1, PostgresBinary.array(values, elementOID: 20) { PostgresBinary.bigEndian($0) })
        case .realArray(let values): (1021, 1, PostgresBinary.array(values, elementOID: 700) { PostgresBinary.bigEndian($0.bitPattern) })
        case .doubleArray(let values): (1022, 1, PostgresBinary.array(values, elementOID: 701) { PostgresBinary.bigEndian($0.bitPattern) })
        case .textArray(let values): (1009, 1, PostgresBinary.array(values, elementOID: 25) { Array($0.utf8) })
        }
    }
}

/// PostgreSQL's binary formats for the parameters we send.
enum PostgresBinary {
    static let byteaOID: UInt32 = 17

    static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    /// A one-dimensional array without NULLs: dimensions, flags, element type, size and lower
    /// bound, then each element with its length. An empty array has no dimensions.
    static func array<Element>(_ values: [Element], elementOID: UInt32, element: (Element) -> [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20 + values.count * 12)
        bytes += bigEndian(UInt32(values.isEmpty ? 0 : 1))
        bytes += bigEndian(UInt32(0))
        bytes += bigEndian(elementOID)
        if !values.isEmpty {
            bytes += bigEndian(UInt32(values.count))
            bytes += bigEndian(UInt32(1))
        }
        for value in values {
            let encoded = element(value)
            bytes += bigEndian(UInt32(encoded.count))
            bytes += encoded
        }
        return bytes
    }
}

/// Number and string spellings PostgreSQL reads back exactly.
public enum PostgresText {
    public static func real(_ value: Float) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
        return "\(value)"
    }

    public static func double(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
        return "\(value)"
    }

}

/// A `timestamp with time zone`, kept as microseconds since the Unix epoch (PostgreSQL's own precision).
public struct PostgresTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    public init(millisecondsSinceEpoch: Int64) {
        microsecondsSinceEpoch = millisecondsSinceEpoch * 1000
    }

    public init(_ date: Date) {
        microsecondsSinceEpoch = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    public static var now: PostgresTimestamp { PostgresTimestamp(Date()) }

    public var millisecondsSinceEpoch: Int64 { microsecondsSinceEpoch.floorDivided(by: 1000) }
    public var date: Date { Date(timeIntervalSince1970: Double(microsecondsSinceEpoch) / 1_000_000) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch }

    /// ISO 8601 in UTC with microseconds, which PostgreSQL parses in any session time zone.
    public var text: String {
        let seconds = microsecondsSinceEpoch.floorDivided(by: 1_000_000)
        let micros = microsecondsSinceEpoch - seconds * 1_000_000
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Self.civilDate(daysSinceEpoch: days)
        return String(
            format: "%04lld-%02lld-%02lld %02lld:%02lld:%02lld.%06lld+00",
            year, month, day, secondOfDay / 3600, secondOfDay % 3600 / 60, secondOfDay % 60, micros)
    }

    public var description: String { text }

    /// Parses PostgreSQL's ISO output `YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM]`.
    public init?(text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19 else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                guard index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 else { return nil }
                value = value * 10 + Int64(bytes[index] - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        var index = 19
        var micros: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 6 {
                    micros = micros * 10 + Int64(bytes[index] - 48)
                    digits += 1
                }
                index += 1
            }
            while digits < 6 {
                micros *= 10
                digits += 1
            }
        }
        var offsetSeconds: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            guard let hours = number(index + 1..<index + 3) else { return nil }
            var minutes: Int64 = 0
            if index + 3 < bytes.count, bytes[index + 3] == UInt8(ascii: ":"), let parsed = number(index + 4..<index + 6) { minutes = parsed }
            offsetSeconds = sign * (hours * 3600 + minutes * 60)
        }
        let days = Self.daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        microsecondsSinceEpoch = seconds * 1_000_000 + micros
    }

    // Howard Hinnant's days-from-civil algorithms.
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = y.floorDivided(by: 400)
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilDate(daysSinceEpoch days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
