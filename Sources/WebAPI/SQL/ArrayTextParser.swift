import JSON

/// Reads PostgreSQL's text form of an array (`{1,2,NULL}`, `{"a b","c\"d"}`, `{{1,2},{3,4}}`)
/// into nested JSON lists.
struct ArrayTextParser {
    let text: [UInt8]
    let elementType: UInt32
    var position = 0

    init(text: [UInt8], elementType: UInt32) {
        self.text = text
        self.elementType = elementType
        // A leading `[1:3]=` gives bounds; the values follow.
        if let equals = text.firstIndex(of: UInt8(ascii: "=")), text.first == UInt8(ascii: "[") { position = equals + 1 }
    }

    mutating func write(into writer: inout JSONWriter) {
        guard position < text.count, text[position] == UInt8(ascii: "{") else {
            writer.string(String(decoding: text, as: UTF8.self))
            return
        }
        position += 1
        writer.beginArray()
        while position < text.count, text[position] != UInt8(ascii: "}") {
            if text[position] == UInt8(ascii: "{") {
                write(into: &writer)
            } else if text[position] == UInt8(ascii: "\"") {
                position += 1
                var element: [UInt8] = []
                while position < text.count, text[position] != UInt8(ascii: "\"") {
                    if text[position] == UInt8(ascii: "\\"), position + 1 < text.count { position += 1 }
                    element.append(text[position])
                    position += 1
                }
                position += 1
                SQLRowEncoder.write(String(decoding: element, as: UTF8.self), type: elementType, into: &writer)
            } else {
                let start = position
                while position < text.count, text[position] != UInt8(ascii: ","), text[position] != UInt8(ascii: "}") { position += 1 }
                let element = String(decoding: text[start..<position], as: UTF8.self)
                if element == "NULL" { writer.null() } else { SQLRowEncoder.write(element, type: elementType, into: &writer) }
            }
            if position < text.count, text[position] == UInt8(ascii: ",") { position += 1 }
        }
        position += 1
        writer.endArray()
    }
}
