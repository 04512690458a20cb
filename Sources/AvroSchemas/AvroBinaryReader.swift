/// Reads Avro binary from untrusted bytes. Every length is checked against what is left
/// before anything is allocated, so hostile input cannot make it allocate without bound.
public struct AvroBinaryReader: ~Copyable {
    private let buffer: UnsafeRawBufferPointer
    public private(set) var offset: Int

    /// The reader borrows `buffer`; it must not outlive the `withUnsafeBytes` scope that made it.
    public init(borrowing buffer: UnsafeRawBufferPointer, offset: Int = 0) {
        self.buffer = buffer
        self.offset = offset
    }

    public var remaining: Int { buffer.count - offset }

    @inline(__always)
    private func fail(_ kind: AvroDecodingError.Kind, _ field: StaticString, at position: Int? = nil) -> AvroDecodingError {
        AvroDecodingError(kind, path: field.description, offset: position ?? offset)
    }

    @inline(__always)
    public mutating func readLong(_ field: StaticString) throws(AvroDecodingError) -> Int64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < buffer.count else { throw fail(.truncated, field) }
            let byte = buffer[offset]
            offset += 1
            if shift == 63 && byte > 1 { throw fail(.varintTooLong, field, at: start) }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
            if shift > 63 { throw fail(.varintTooLong, field, at: start) }
        }
        return Int64(bitPattern: (result >> 1) ^ (0 &- (result & 1)))
    }

    @inline(__always)
    public mutating func readInt(_ field: StaticString) throws(AvroDecodingError) -> Int32 {
        let start = offset
        let value = try readLong(field)
        guard let narrow = Int32(exactly: value) else { throw fail(.valueOutOfRange(value), field, at: start) }
        return narrow
    }

    @inline(__always)
    public mutating func readFloat(_ field: StaticString) throws(AvroDecodingError) -> Float {
        guard remaining >= 4 else { throw fail(.truncated, field) }
        let bits = buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        offset += 4
        return Float(bitPattern: UInt32(littleEndian: bits))
    }

    @inline(__always)
    public mutating func readDouble(_ field: StaticString) throws(AvroDecodingError) -> Double {
        guard remaining >= 8 else { throw fail(.truncated, field) }
        let bits = buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        offset += 8
        return Double(bitPattern: UInt64(littleEndian: bits))
    }

    public mutating func readBoolean(_ field: StaticString) throws(AvroDecodingError) -> Bool {
        guard remaining >= 1 else { throw fail(.truncated, field) }
        let byte = buffer[offset]
        guard byte <= 1 else { throw fail(.invalidUnionIndex(Int64(byte)), field) }
        offset += 1
        return byte == 1
    }

    @inline(__always)
    private mutating func readLength(_ field: StaticString) throws(AvroDecodingError) -> Int {
        let start = offset
        let length = try readLong(field)
        guard length >= 0 else { throw fail(.negativeLength(length), field, at: start) }
        guard length <= Int64(remaining) else { throw fail(.lengthExceedsInput(length), field, at: start) }
        return Int(length)
    }

    @inline(__always)
    public mutating func readString(_ field: StaticString) throws(AvroDecodingError) -> String {
        let length = try readLength(field)
        let start = offset
        let slice = UnsafeRawBufferPointer(rebasing: buffer[start..<start + length])
        offset += length
        // ASCII (nearly every name in these schemas) is valid UTF-8 as it is, and checking for
        // it is far cheaper than the generic `String(validating:as:)`, which looks up type
        // metadata on every call.
        let bytes = slice.assumingMemoryBound(to: UInt8.self)
        if bytes.reduce(0, |) < 0x80 { return String(decoding: bytes, as: UTF8.self) }
        guard let string = String(validating: bytes, as: UTF8.self) else { throw fail(.invalidUTF8, field, at: start) }
        return string
    }

    public mutating func readBytes(_ field: StaticString) throws(AvroDecodingError) -> [UInt8] {
        let length = try readLength(field)
        let bytes = [UInt8](UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + length]))
        offset += length
        return bytes
    }

    /// Reads the branch index of a `["null", T]` union: false for null, true for the value.
    @inline(__always)
    public mutating func readOptionalBranch(_ field: StaticString) throws(AvroDecodingError) -> Bool {
        let start = offset
        let index = try readLong(field)
        switch index {
        case 0: return false
        case 1: return true
        default: throw fail(.invalidUnionIndex(index), field, at: start)
        }
    }

    /// Reads an array in any block layout. `minimumItemSize` bounds the item count by the bytes
    /// left, so a hostile count cannot trigger a huge allocation.
    @inline(__always)
    public mutating func readArray<T>(
        _ field: StaticString,
        minimumItemSize: Int,
        _ readItem: (inout AvroBinaryReader) throws(AvroDecodingError) -> T
    ) throws(AvroDecodingError) -> [T] {
        var items: [T] = []
        while true {
            let start = offset
            var count = try readLong(field)
            if count == 0 { return items }
            if count < 0 {
                guard count != .min else { throw fail(.negativeLength(count), field, at: start) }
                count = -count
                _ = try readLength(field)  // block byte size: only a skip hint, checked for sanity
            }
            guard count <= Int64(remaining / max(minimumItemSize, 1)) else {
                throw fail(.lengthExceedsInput(count), field, at: start)
            }
            items.reserveCapacity(items.count + Int(count))
            for _ in 0..<Int(count) {
                do {
                    items.append(try readItem(&self))
                } catch {
                    throw error.nested(under: "\(field)[\(items.count)]")
                }
            }
        }
    }
}
