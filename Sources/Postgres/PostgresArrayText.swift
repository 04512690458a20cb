/// PostgreSQL's text form of an array (`{1,2,NULL}`, `{"a b","c\"d"}`, `{{1,2},{3,4}}`,
/// `[0:1]={7,8}`), read as PostgreSQL's `array_in` writes it: the one parser of array text,
/// for typed columns and for `db/runsqlquery/`'s answers alike.
public enum PostgresArrayText {
    public indirect enum Element: Sendable, Equatable {
        case null
        /// An element's text, unquoted and unescaped.
        case text(String)
        case array([Element])
    }

    /// The array, or nil when `text` is not an array literal.
    public static func parse(_ text: some Collection<UInt8>) -> Element? {
        var bytes = Array(text)[...]
        // A leading `[1:3]=` gives bounds; the values follow.
        if bytes.first == UInt8(ascii: "["), let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
            bytes = bytes[(equals + 1)...]
        }
        guard bytes.first == UInt8(ascii: "{") else { return nil }
        var position = bytes.startIndex
        guard let array = parseArray(bytes, &position), position == bytes.endIndex else { return nil }
        return array
    }

    /// The elements of a one-dimensional array, each `convert`ed from its text; nil for text
    /// that is not such an array or an element that does not convert (a NULL gives nil too).
    public static func flat<Value>(_ text: some Collection<UInt8>, _ convert: (String) -> Value?) -> [Value]? {
        guard case .array(let elements) = parse(text) else { return nil }
        var values: [Value] = []
        values.reserveCapacity(elements.count)
        for element in elements {
            guard case .text(let text) = element, let value = convert(text) else { return nil }
            values.append(value)
        }
        return values
    }

    private static func parseArray(_ bytes: ArraySlice<UInt8>, _ position: inout Int) -> Element? {
        guard position < bytes.endIndex, bytes[position] == UInt8(ascii: "{") else { return nil }
        position += 1
        var elements: [Element] = []
        if position < bytes.endIndex, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .array([])
        }
        while position < bytes.endIndex {
            switch bytes[position] {
            case UInt8(ascii: "{"):
                guard let inner = parseArray(bytes, &position) else { return nil }
                elements.append(inner)
            case UInt8(ascii: "\""):
                position += 1
                var element: [UInt8] = []
                while position < bytes.endIndex, bytes[position] != UInt8(ascii: "\"") {
                    if bytes[position] == UInt8(ascii: "\\"), position + 1 < bytes.endIndex { position += 1 }
                    element.append(bytes[position])
                    position += 1
                }
                guard position < bytes.endIndex else { return nil }
                position += 1
                elements.append(.text(String(decoding: element, as: UTF8.self)))
            default:
                let start = position
                while position < bytes.endIndex, bytes[position] != UInt8(ascii: ","), bytes[position] != UInt8(ascii: "}") { position += 1 }
                let element = String(decoding: bytes[start..<position], as: UTF8.self)
                // Unquoted NULL (any case) is the null element; "NULL" quoted is text.
                elements.append(element.uppercased() == "NULL" ? .null : .text(element))
            }
            guard position < bytes.endIndex else { return nil }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
            } else if bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .array(elements)
            } else {
                return nil
            }
        }
        return nil
    }
}
