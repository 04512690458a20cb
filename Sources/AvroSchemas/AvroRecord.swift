/// A typed record with a hand-written schemaless Avro binary encoding that follows its
/// bundled `.avsc` field by field.
public protocol AvroRecord: Sendable {
    /// The fewest bytes one encoded record can take; bounds array counts read from untrusted input.
    static var minimumEncodedSize: Int { get }
    func encode(to writer: inout AvroBinaryWriter)
    init(from reader: inout AvroBinaryReader) throws(AvroDecodingError)
}

extension AvroBinaryReader {
    /// Reads a nested record, prefixing any error's path with the field that holds it.
    @inline(__always)
    public mutating func readRecord<R: AvroRecord>(_ field: StaticString, as type: R.Type = R.self) throws(AvroDecodingError) -> R {
        do {
            return try R(from: &self)
        } catch {
            throw error.nested(under: field.description)
        }
    }

    @inline(__always)
    public mutating func readRecordArray<R: AvroRecord>(_ field: StaticString, of type: R.Type = R.self) throws(AvroDecodingError) -> [R] {
        try readArray(field, minimumItemSize: R.minimumEncodedSize) { (reader: inout AvroBinaryReader) throws(AvroDecodingError) in
            try R(from: &reader)
        }
    }
}
