/// Appends Avro binary encodings (zig-zag varints, little-endian IEEE floats, length-prefixed
/// strings) to a growing byte buffer.
public struct AvroBinaryWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(reservingCapacity capacity: Int = 1024) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inline(__always)
    public mutating func writeLong(_ value: Int64) {
        var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while zigzag >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: zigzag) | 0x80)
            zigzag >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: zigzag))
    }

    @inline(__always)
    public mutating func writeInt(_ value: Int32) {
        writeLong(Int64(value))
    }

    @inline(__always)
    public mutating func writeFloat(_ value: Float) {
        let bits = value.bitPattern.littleEndian
        withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
    }

    @inline(__always)
    public mutating func writeDouble(_ value: Double) {
        let bits = value.bitPattern.littleEndian
        withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
    }

    @inline(__always)
    public mutating func writeBoolean(_ value: Bool) {
        bytes.append(value ? 1 : 0)
    }

    @inline(__always)
    public mutating func writeString(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            writeLong(Int64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func writeBytes(_ value: [UInt8]) {
        writeLong(Int64(value.count))
        bytes.append(contentsOf: value)
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
        bytes.append(contentsOf: raw)
    }
}
