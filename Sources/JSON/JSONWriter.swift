/// Writes one JSON document into bytes, in the order values are given (keys stay where the TOM
/// puts them). Numbers are spelled as Python's `json` spells them: a float4 column's value as
/// the shortest decimal that reads back as that float (`683.85583`, as PostgreSQL prints it),
/// a double as the shortest that reads back as that double. JSON has no NaN or infinity: those
/// become `null`.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// One entry per open object or array: whether it is still empty.
    private var containerIsEmpty: [Bool] = []
    private var afterKey = false

    public init(reservingCapacity capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        containerIsEmpty.append(true)
    }

    public mutating func endObject() {
        containerIsEmpty.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        containerIsEmpty.append(true)
    }

    public mutating func endArray() {
        containerIsEmpty.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    public mutating func key(_ name: String) {
        separate()
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    public mutating func null() {
        separate()
        bytes += Self.nullBytes
    }

    public mutating func bool(_ value: Bool) {
        separate()
        bytes += value ? Array("true".utf8) : Array("false".utf8)
    }

    public mutating func int(_ value: Int64) {
        separate()
        bytes += String(value).utf8
    }

    public mutating func int(_ value: Int) { int(Int64(value)) }

    public mutating func double(_ value: Double) {
        separate()
        if value.isFinite { bytes += value.description.utf8 } else { bytes += Self.nullBytes }
    }

    public mutating func float(_ value: Float) {
        separate()
        if value.isFinite { bytes += value.description.utf8 } else { bytes += Self.nullBytes }
    }

    public mutating func string(_ value: String) {
        separate()
        appendString(value)
    }

    public mutating func optionalDouble(_ value: Double?) {
        if let value { double(value) } else { null() }
    }

    public mutating func optionalFloat(_ value: Float?) {
        if let value { float(value) } else { null() }
    }

    public mutating func optionalString(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    public mutating func optionalInt(_ value: Int64?) {
        if let value { int(value) } else { null() }
    }

    /// A value written elsewhere, as it is (a JSON document of its own).
    public mutating func raw(_ json: [UInt8]) {
        separate()
        bytes += json
    }

    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .int(let number): int(number)
        case .double(let number): double(number)
        case .float(let number): float(number)
        case .string(let text): string(text)
        case .array(let elements):
            beginArray()
            for element in elements { self.value(element) }
            endArray()
        case .object(let members):
            beginObject()
            for (name, member) in members {
                key(name)
                self.value(member)
            }
            endObject()
        }
    }

    private static let nullBytes = Array("null".utf8)
    private static let hex = Array("0123456789abcdef".utf8)

    /// A comma before every element of a container but its first; nothing right after a key.
    private mutating func separate() {
        if afterKey {
            afterKey = false
            return
        }
        guard let last = containerIsEmpty.indices.last else { return }
        if containerIsEmpty[last] {
            containerIsEmpty[last] = false
        } else {
            bytes.append(UInt8(ascii: ","))
        }
    }

    private mutating func appendString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                bytes += Array("\\u00".utf8)
                bytes += [Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 0xF)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
