/// Why untrusted bytes could not be decoded, and where.
public struct AvroDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case truncated
        case varintTooLong
        case invalidUnionIndex(Int64)
        case negativeLength(Int64)
        case lengthExceedsInput(Int64)
        case invalidUTF8
        case trailingBytes(Int)
        case valueOutOfRange(Int64)
    }

    public var kind: Kind
    /// Dotted path of the field being read, outermost first (`prvDiaSources[3].filterName`).
    public var path: String
    /// Byte offset in the payload (after any framing) where the fault was found.
    public var offset: Int

    public init(_ kind: Kind, path: String, offset: Int) {
        self.kind = kind
        self.path = path
        self.offset = offset
    }

    public var description: String {
        let what: String
        switch kind {
        case .truncated: what = "input ends early"
        case .varintTooLong: what = "variable-length integer longer than 10 bytes"
        case .invalidUnionIndex(let index): what = "union branch index \(index) does not exist"
        case .negativeLength(let length): what = "negative length \(length)"
        case .lengthExceedsInput(let length): what = "length \(length) exceeds the bytes left"
        case .invalidUTF8: what = "string is not valid UTF-8"
        case .trailingBytes(let count): what = "\(count) bytes left over after the record"
        case .valueOutOfRange(let value): what = "value \(value) is out of range for an Avro int"
        }
        return "Avro decoding failed at byte \(offset) in field '\(path)': \(what)"
    }

    func nested(under parent: String) -> AvroDecodingError {
        var copy = self
        copy.path = path.isEmpty ? parent : (path.hasPrefix("[") ? parent + path : parent + "." + path)
        return copy
    }
}
