/// Appends Avro binary encodings (zig-zag varints, little-endian IEEE floats, length-prefixed
/// strings) to a growing byte buffer.
public struct AvroBinaryWriter: Sendable {
    /// Sized ahead, written in place up to `count`: appending byte by byte (a capacity and
    /// uniqueness check each) and 8-byte doubles through `append(contentsOf:)` was most of
    /// encoding an alert.
    private var storage: [UInt8]
    private var count = 0

    public init(reservingCapacity capacity: Int = 1024) {
        storage = Array(repeating: 0, count: max(capacity, 16))
    }

    /// How many bytes were written so far.
    public var byteCount: Int { count }

    /// The bytes written so far (a copy; `finish()` hands them over without one).
    public var bytes: [UInt8] { Array(storage[..<count]) }

    /// The bytes written, without copying them; the writer is done.
    public consuming func finish() -> [UInt8] {
        storage.removeLast(storage.count - count)
        return storage
    }

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if count + extra > storage.count { grow(toHold: count + extra) }
    }

    private mutating func grow(toHold needed: Int) {
        storage.append(contentsOf: repeatElement(0, count: max(needed, storage.count * 2) - storage.count))
    }

    @inline(__always)
    public mutating func writeLong(_ value: Int64) {
        reserve(10)
        var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        var at = count
        storage.withUnsafeMutableBufferPointer { buffer in
            while zigzag >= 0x80 {
                buffer[at] = UInt8(truncatingIfNeeded: zigzag) | 0x80
                zigzag >>= 7
                at += 1
            }
            buffer[at] = UInt8(truncatingIfNeeded: zigzag)
        }
        count = at + 1
    }

    @inline(__always)
    public mutating func writeInt(_ value: Int32) {
        writeLong(Int64(value))
    }

    @inline(__always)
    private mutating func writeLittleEndian<T: FixedWidthInteger>(_ value: T) {
        reserve(MemoryLayout<T>.size)
        let at = count
        storage.withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: at, as: T.self) }
        count += MemoryLayout<T>.size
    }

    @inline(__always)
    public mutating func writeFloat(_ value: Float) {
        writeLittleEndian(value.bitPattern)
    }

    @inline(__always)
    public mutating func writeDouble(_ value: Double) {
        writeLittleEndian(value.bitPattern)
    }

    @inline(__always)
    public mutating func writeBoolean(_ value: Bool) {
        writeLittleEndian(UInt8(value ? 1 : 0))
    }

    @inline(__always)
    public mutating func writeString(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            writeLong(Int64(utf8.count))
            appendRaw(UnsafeRawBufferPointer(utf8))
        }
    }

    public mutating func writeBytes(_ value: [UInt8]) {
        writeLong(Int64(value.count))
        value.withUnsafeBytes { appendRaw($0) }
    }

    @inline(__always)
    private mutating func appendRaw(_ raw: UnsafeRawBufferPointer) {
        guard let base = raw.baseAddress, raw.count > 0 else { return }
        reserve(raw.count)
        let at = count
        storage.withUnsafeMutableBytes { ($0.baseAddress! + at).copyMemory(from: base, byteCount: raw.count) }
        count += raw.count
    }

    /// Writes the branch index of a `["null", T]` union, and the value when present.
    @inline(__always)
    public mutating func writeOptional<T>(_ value: T?, _ write: (inout AvroBinaryWriter, T) -> Void) {
        if let value {
            writeLong(1)
            write(&self, value)
        } else {
            writeLong(0)
        }
    }

    /// Writes an array as one block followed by the zero terminator, as avro-c and fastavro do.
    @inline(__always)
    public mutating func writeArray<T>(_ items: [T], _ write: (inout AvroBinaryWriter, T) -> Void) {
        if !items.isEmpty {
            writeLong(Int64(items.count))
            for item in items { write(&self, item) }
        }
        writeLong(0)
    }

    public mutating func writeRaw(_ raw: [UInt8]) {
        raw.withUnsafeBytes { appendRaw($0) }
    }

    public mutating func writeRaw(_ raw: ArraySlice<UInt8>) {
        raw.withUnsafeBytes { appendRaw($0) }
    }
}
