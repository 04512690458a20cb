/// Builds rows in PostgreSQL's binary COPY format and hands them to the server in large chunks.
///
/// Binary, not text: the server stores each field as sent instead of parsing decimal digits
/// (float parsing was most of a text COPY's server time), and floats arrive exactly. The price
/// is that every value must be written with the Swift type of its column: `Int64` for bigint,
/// `Int32` for integer, `Float` for real, `Double` for double precision.
public final class CopyInBuffer {
    private var bytes: [UInt8] = []
    /// Where the current row's field count goes, once the row is complete.
    private var rowStart = -1
    private var fieldCount: Int16 = 0
    public private(set) var rowCount = 0
    private let flushThreshold: Int
    private let sink: ([UInt8]) throws(PostgresError) -> Void

    /// PostgreSQL's element type OIDs for the arrays we write.
    private static let smallintOID: UInt32 = 21
    private static let realOID: UInt32 = 700
    /// Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01.
    private static let postgresEpochMicroseconds: Int64 = 946_684_800_000_000

    init(flushThreshold: Int = 1 << 20, sink: @escaping ([UInt8]) throws(PostgresError) -> Void) {
        self.flushThreshold = flushThreshold
        self.sink = sink
        bytes.reserveCapacity(flushThreshold + 4096)
        // Signature, flags, header extension length.
        bytes.append(contentsOf: Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00])
        appendBigEndian(UInt32(0))
        appendBigEndian(UInt32(0))
    }

    @inline(__always)
    private func beginField(length: Int) {
        if rowStart < 0 {
            rowStart = bytes.count
            bytes.append(contentsOf: [0, 0])
        }
        fieldCount += 1
        appendBigEndian(UInt32(bitPattern: Int32(length)))
    }

    @inline(__always)
    private func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    public func appendNull() {
        beginField(length: -1)
    }

    /// A `bigint`.
    public func append(_ value: Int64) {
        beginField(length: 8)
        appendBigEndian(value)
    }

    public func append(_ value: Int64?) {
        guard let value else { return appendNull() }
        append(value)
    }

    /// An `integer`.
    public func append(_ value: Int32) {
        beginField(length: 4)
        appendBigEndian(value)
    }

    /// A `double precision`.
    public func append(_ value: Double) {
        beginField(length: 8)
        appendBigEndian(value.bitPattern)
    }

    public func append(_ value: Double?) {
        guard let value else { return appendNull() }
        append(value)
    }

    /// A `real`.
    public func append(_ value: Float) {
        beginField(length: 4)
        appendBigEndian(value.bitPattern)
    }

    public func append(_ value: Float?) {
        guard let value else { return appendNull() }
        append(value)
    }

    public func append(_ value: Bool) {
        beginField(length: 1)
        bytes.append(value ? 1 : 0)
    }

    /// A `text` or `character varying`, as UTF-8 (the server's encoding).
    public func append(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            beginField(length: utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    public func append(_ value: String?) {
        guard let value else { return appendNull() }
        append(value)
    }

    /// A `timestamp with time zone`.
    public func append(_ value: PostgresTimestamp) {
        beginField(length: 8)
        appendBigEndian(value.microsecondsSinceEpoch - Self.postgresEpochMicroseconds)
    }

    public func append(_ value: PostgresTimestamp?) {
        guard let value else { return appendNull() }
        append(value)
    }

    /// A `smallint[]`.
    public func append(smallints values: [Int16]) {
        appendArray(count: values.count, elementOID: Self.smallintOID, elementLength: 2) {
            for value in values {
                appendBigEndian(UInt32(2))
                appendBigEndian(value)
            }
        }
    }

    /// A `real[]`.
    public func append(reals values: [Float]) {
        appendArray(count: values.count, elementOID: Self.realOID, elementLength: 4) {
            for value in values {
                appendBigEndian(UInt32(4))
                appendBigEndian(value.bitPattern)
            }
        }
    }

    /// A one-dimensional array without nulls: dimensions, flags, element type, then each
    /// element with its length. An empty array has no dimensions.
    private func appendArray(count: Int, elementOID: UInt32, elementLength: Int, elements: () -> Void) {
        let dimensions = count == 0 ? 0 : 1
        beginField(length: 12 + dimensions * 8 + count * (4 + elementLength))
        appendBigEndian(UInt32(dimensions))
        appendBigEndian(UInt32(0))
        appendBigEndian(elementOID)
        if dimensions == 1 {
            appendBigEndian(UInt32(count))
            appendBigEndian(UInt32(1))
        }
        elements()
    }

    public func endRow() throws(PostgresError) {
        if rowStart < 0 {
            rowStart = bytes.count
            bytes.append(contentsOf: [0, 0])
        }
        bytes[rowStart] = UInt8(truncatingIfNeeded: fieldCount >> 8)
        bytes[rowStart + 1] = UInt8(truncatingIfNeeded: fieldCount)
        rowStart = -1
        fieldCount = 0
        rowCount += 1
        if bytes.count >= flushThreshold { try flush() }
    }

    func flush() throws(PostgresError) {
        guard !bytes.isEmpty else { return }
        try sink(bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    /// The trailer, then everything still held.
    func finish() throws(PostgresError) {
        appendBigEndian(Int16(-1))
        try flush()
    }
}
