/// How a payload was framed on the wire.
public enum AvroFraming: Sendable, Equatable {
    /// Bare Avro binary, as ELAsTiCC alerts and brokers' messages are sent.
    case schemaless
    /// Confluent Schema Registry framing: magic byte 0, a 4-byte big-endian schema id, then the payload.
    case confluent(schemaId: UInt32)
}

/// A decoded record and the framing it arrived in.
public struct Decoded<Record: AvroRecord>: Sendable {
    public var record: Record
    public var framing: AvroFraming
}

/// Encodes and decodes typed records as schemaless Avro binary.
public enum AvroCodec {
    public static func encode<R: AvroRecord>(_ record: R, reservingCapacity capacity: Int = 2048) -> [UInt8] {
        var writer = AvroBinaryWriter(reservingCapacity: capacity)
        record.encode(to: &writer)
        return writer.finish()
    }

    /// Encodes with Confluent framing, for producers that talk to a schema registry.
    public static func encodeConfluent<R: AvroRecord>(_ record: R, schemaId: UInt32) -> [UInt8] {
        var writer = AvroBinaryWriter(reservingCapacity: 2048)
        writer.writeRaw([0] + withUnsafeBytes(of: schemaId.bigEndian) { Array($0) })
        record.encode(to: &writer)
        return writer.finish()
    }

    /// Decodes exactly one schemaless record that must fill `bytes`.
    public static func decode<R: AvroRecord>(_ type: R.Type = R.self, from bytes: [UInt8]) throws(AvroDecodingError) -> R {
        let result: Result<R, AvroDecodingError> = bytes.withUnsafeBytes { buffer in
            Result { () throws(AvroDecodingError) -> R in try decodeWhole(R.self, buffer, from: 0) }
        }
        return try result.get()
    }

    /// Decodes a schemaless or Confluent-framed record. A payload that starts with the magic byte
    /// and decodes completely after the 5-byte header is taken as Confluent-framed; otherwise it
    /// must decode completely as schemaless.
    public static func decodeFramed<R: AvroRecord>(_ type: R.Type = R.self, from bytes: [UInt8]) throws(AvroDecodingError) -> Decoded<R> {
        let result: Result<Decoded<R>, AvroDecodingError> = bytes.withUnsafeBytes { buffer in
            Result { () throws(AvroDecodingError) -> Decoded<R> in
                if buffer.count >= 5, buffer[0] == 0,
                    let record = try? decodeWhole(R.self, buffer, from: 5)
                {
                    let schemaId = buffer.loadUnaligned(fromByteOffset: 1, as: UInt32.self).bigEndian
                    return Decoded(record: record, framing: .confluent(schemaId: schemaId))
                }
                return Decoded(record: try decodeWhole(R.self, buffer, from: 0), framing: .schemaless)
            }
        }
        return try result.get()
    }

    private static func decodeWhole<R: AvroRecord>(_ type: R.Type, _ buffer: UnsafeRawBufferPointer, from start: Int) throws(AvroDecodingError) -> R {
        var reader = AvroBinaryReader(borrowing: buffer, offset: start)
        let record = try R(from: &reader)
        guard reader.remaining == 0 else {
            throw AvroDecodingError(.trailingBytes(reader.remaining), path: "", offset: reader.offset)
        }
        return record
    }
}
