/// Builds rows in PostgreSQL's binary COPY format and hands them to the server in large chunks.
///
/// Binary, not text: the server stores each field as sent instead of parsing decimal digits
/// (float parsing was most of a text COPY's server time), and floats arrive exactly. The price
/// is that every value must be written with the Swift type of its column: `Int64` for bigint,
/// `Int32` for integer, `Float` for real, `Double` for double precision.
public final class CopyInBuffer {
    /// Raw storage written with unaligned stores: the rows' many 2-, 4- and 8-byte fields went
    /// through `Array.append(contentsOf:)` and a `memmove` each, most of building a row.
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private var count = 0
    /// Where the current row's field count goes, once the row is complete.
    private var rowStart = -1
    private var fieldCount: Int16 = 0
    public private(set) var rowCount = 0
    private let flushThreshold: Int
    private let sink: (UnsafeRawBufferPointer) throws(PostgresError) -> Void

    /// PostgreSQL's element type OIDs for the arrays we write.
    private static let smallintOID: UInt32 = 21
    private static let realOID: UInt32 = 700
    /// Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01.
    private static let postgresEpochMicroseconds: Int64 = 946_684_800_000_000
    private static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]

    /// `sink` gets each chunk while it is valid only: it must send or copy it.
    init(flushThreshold: Int = 1 << 20, sink: @escaping (UnsafeRawBufferPointer) throws(PostgresError) -> Void) {
        self.flushThreshold = flushThreshold
        self.sink = sink
        capacity = flushThreshold + 4096
        storage = .allocate(byteCount: capacity, alignment: 16)
        // Signature, flags, header extension length.
        Self.signature.withUnsafeBytes { appendBytes($0) }
        appendBigEndian(UInt32(0))
        appendBigEndian(UInt32(0))
    }

    deinit {
        storage.deallocate()
    }

    /// Room for `bytes` more; a row larger than the threshold grows the storage.
    @inline(__always)
    private func reserve(_ bytes: Int) {
        if count + bytes > capacity { grow(to: count + bytes) }
    }

    private func grow(to needed: Int) {
        let larger = max(needed, capacity * 2)
        let moved = UnsafeMutableRawPointer.allocate(byteCount: larger, alignment: 16)
        moved.copyMemory(from: storage, byteCount: count)
        storage.deallocate()
        storage = moved
        capacity = larger
    }

    private func appendBytes(_ source: UnsafeRawBufferPointer) {
        reserve(source.count)
        if let base = source.baseAddress { (storage + count).copyMemory(from: base, byteCount: source.count) }
        count += source.count
    }

    /// Stores without a capacity check: the caller reserved the room.
    @inline(__always)
    private func storeBigEndian<T: FixedWidthInteger>(_ value: T) {
        storage.storeBytes(of: value.bigEndian, toByteOffset: count, as: T.self)
        count += MemoryLayout<T>.size
    }

    @inline(__always)
    private func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        reserve(MemoryLayout<T>.size)
        storeBigEndian(value)
    }

    /// The field's length word, and room for its `length` bytes of value.
    @inline(__always)
    private func beginField(length: Int) {
        reserve(2 + 4 + max(length, 0))
        if rowStart < 0 {
            rowStart = count
            count += 2
        }
        fieldCount += 1
        storeBigEndian(UInt32(bitPattern: Int32(length)))
    }

    public func appendNull() {
        beginField(length: -1)
    }

    /// A `bigint`.
    public func append(_ value: Int64) {
        beginField(length: 8)
        storeBigEndian(value)
    }

    public func append(_ value: Int64?) {
        guard let value else { return appendNull() }
        append(value)
    }

    /// An `integer`.
    public func append(_ value: Int32) {
        beginField(length: 4)
        storeBigEndian(value)
    }

    /// A `double precision`.
    public func append(_ value: Double) {
        beginField(length: 8)
        storeBigEndian(value.bitPattern)
    }

    public func append(_ value: Double?) {
        guard let value else { return appendNull() }
        append(value)
    }

    /// A `real`.
    public func append(_ value: Float) {
        beginField(length: 4)
        storeBigEndian(value.bitPattern)
    }

    public func append(_ value: Float?) {
        guard let value else { return appendNull() }
        append(value)
    }

    public func append(_ value: Bool) {
        beginField(length: 1)
        storeBigEndian(UInt8(value ? 1 : 0))
    }

    /// A `text` or `character varying`, as UTF-8 (the server's encoding).
    public func append(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            beginField(length: utf8.count)
            if let base = utf8.baseAddress { (storage + count).copyMemory(from: base, byteCount: utf8.count) }
            count += utf8.count
        }
    }

    public func append(_ value: String?) {
        guard let value else { return appendNull() }
        append(value)
    }

    /// A `timestamp with time zone`.
    public func append(_ value: PostgresTimestamp) {
        beginField(length: 8)
        storeBigEndian(value.microsecondsSinceEpoch - Self.postgresEpochMicroseconds)
    }

    public func append(_ value: PostgresTimestamp?) {
        guard let value else { return appendNull() }
        append(value)
    }

    /// A `smallint[]`.
    public func append(smallints values: [Int16]) {
        appendArray(count: values.count, elementOID: Self.smallintOID, elementLength: 2) {
            for value in values {
                storeBigEndian(UInt32(2))
                storeBigEndian(value)
            }
        }
    }

    /// A `real[]`.
    public func append(reals values: [Float]) {
        appendArray(count: values.count, elementOID: Self.realOID, elementLength: 4) {
            for value in values {
                storeBigEndian(UInt32(4))
                storeBigEndian(value.bitPattern)
            }
        }
    }

    /// A one-dimensional array without nulls: dimensions, flags, element type, then each
    /// element with its length. An empty array has no dimensions.
    private func appendArray(count elementCount: Int, elementOID: UInt32, elementLength: Int, elements: () -> Void) {
        let dimensions = elementCount == 0 ? 0 : 1
        // Reserves room for every element: they are stored without checks.
        beginField(length: 12 + dimensions * 8 + elementCount * (4 + elementLength))
        storeBigEndian(UInt32(dimensions))
        storeBigEndian(UInt32(0))
        storeBigEndian(elementOID)
        if dimensions == 1 {
            storeBigEndian(UInt32(elementCount))
            storeBigEndian(UInt32(1))
        }
        elements()
    }

    public func endRow() throws(PostgresError) {
        if rowStart < 0 {
            reserve(2)
            rowStart = count
            count += 2
        }
        storage.storeBytes(of: UInt16(bitPattern: fieldCount).bigEndian, toByteOffset: rowStart, as: UInt16.self)
        rowStart = -1
        fieldCount = 0
        rowCount += 1
        if count >= flushThreshold { try flush() }
    }

    func flush() throws(PostgresError) {
        guard count > 0 else { return }
        try sink(UnsafeRawBufferPointer(start: storage, count: count))
        count = 0
    }

    /// The trailer, then everything still held.
    func finish() throws(PostgresError) {
        appendBigEndian(Int16(-1))
        try flush()
    }
}
