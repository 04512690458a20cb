import JSON
import Postgres

/// Writes result rows as `{column: value}` objects the way psycopg2's `RealDictCursor` and
/// Django's JSON encoder spell them: numbers as numbers (float4 with its shortest spelling),
/// `numeric` as a string, timestamps in ISO 8601 (milliseconds, `Z` when zoned), json as json,
/// arrays as lists; anything else as PostgreSQL's text.
struct SQLRowEncoder {
    private let columns: [String]
    private let types: [UInt32]

    init(_ result: PostgresResult) {
        columns = result.columnNames
        types = (0..<result.columnCount).map { result.typeOID($0) }
    }

    func write(_ result: PostgresResult, into writer: inout JSONWriter) {
        for row in 0..<result.rowCount {
            writer.beginObject()
            for column in columns.indices {
                writer.key(columns[column])
                guard let text = result.string(row, column) else {
                    writer.null()
                    continue
                }
                Self.write(text, type: types[column], into: &writer)
            }
            writer.endObject()
        }
    }

    static func write(_ text: String, type: UInt32, into writer: inout JSONWriter) {
        switch type {
        case 16: writer.bool(text == "t")
        case 20, 21, 23, 26:
            if let number = Int64(text) { writer.int(number) } else { writer.string(text) }
        case 700:
            if let number = Float(text) { writer.float(number) } else { writer.string(text) }
        case 701:
            if let number = Double(text) { writer.double(number) } else { writer.string(text) }
        case 114, 3802: writer.raw(Array(text.utf8))
        case 1114: writer.string(isoTimestamp(text, zoned: false))
        case 1184: writer.string(isoTimestamp(text, zoned: true))
        case 1000, 1005, 1007, 1016, 1021, 1022, 1009, 1015, 1231, 1014, 199, 3807:
            guard let array = PostgresArrayText.parse(text.utf8) else {
                writer.string(text)
                return
            }
            write(array, elementType: elementType(of: type), into: &writer)
        default: writer.string(text)
        }
    }

    /// An array as nested JSON lists, each element written as its type's values are.
    static func write(_ array: PostgresArrayText.Element, elementType: UInt32, into writer: inout JSONWriter) {
        switch array {
        case .null: writer.null()
        case .text(let text): write(text, type: elementType, into: &writer)
        case .array(let elements):
            writer.beginArray()
            for element in elements { write(element, elementType: elementType, into: &writer) }
            writer.endArray()
        }
    }

    static func elementType(of arrayType: UInt32) -> UInt32 {
        switch arrayType {
        case 1000: 16
        case 1005: 21
        case 1007: 23
        case 1016: 20
        case 1021: 700
        case 1022: 701
        case 199: 114
        case 3807: 3802
        default: 25
        }
    }

    /// `2026-11-25 14:17:03.99+00` → `2026-11-25T14:17:03.990Z` (the session runs in UTC).
    /// What is not of that shape (`infinity`, `-infinity`, years BC or past 9999) stays as
    /// PostgreSQL wrote it.
    static func isoTimestamp(_ text: String, zoned: Bool) -> String {
        let bytes = Array(text.utf8)
        func digits(_ range: Range<Int>) -> Bool { range.upperBound <= bytes.count && range.allSatisfy { bytes[$0] >= 48 && bytes[$0] <= 57 } }
        // yyyy-mm-dd hh:mm:ss
        guard digits(0..<4), digits(5..<7), digits(8..<10), digits(11..<13), digits(14..<16), digits(17..<19), bytes[4] == 45, bytes[7] == 45,
            bytes[10] == 32, bytes[13] == 58, bytes[16] == 58
        else { return text }
        var index = 19
        var fraction: [UInt8] = []
        if index < bytes.count, bytes[index] == 46 {
            index += 1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction.append(bytes[index])
                index += 1
            }
        }
        // Then nothing, or for a zoned value its offset (`+00`, `+05:30`, `-03:00:12`).
        if zoned {
            guard index < bytes.count, bytes[index] == 43 || bytes[index] == 45,
                bytes[(index + 1)...].allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 58 })
            else { return text }
        } else {
            guard index == bytes.count else { return text }
        }
        var iso = Array(bytes[0..<19])
        iso[10] = UInt8(ascii: "T")
        if !fraction.isEmpty { iso += [46] + (fraction + [48, 48, 48]).prefix(3) }
        if zoned { iso.append(UInt8(ascii: "Z")) }
        return String(decoding: iso, as: UTF8.self)
    }
}
