import AvroSchemas
import CAvro
import CAvroShims
import Synchronization

/// An error reported by Apache Avro C, with its message text.
public struct AvroCError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var message: String
    public var description: String { "avro-c \(operation) failed: \(message)" }
}

/// Debian's libavro keeps the last error text in one process-wide buffer, so reading it must be
/// serialised with the call that set it.
private let avroErrorLock = Mutex(())

/// A schema parsed by Apache Avro C, used to prove that Avro C reads our bytes as we meant them.
///
/// `@unchecked Sendable`: avro-c schemas and value interfaces are reference-counted, read-only
/// once built, and safe to share between threads; the error buffer it is not is read under a lock.
public final class AvroCSchema: @unchecked Sendable {
    // Immutable after init; avro-c schemas and value interfaces are read-only once built.
    private let schema: avro_schema_t
    private let valueInterface: UnsafeMutablePointer<avro_value_iface_t>

    public init(json: String) throws(AvroCError) {
        var parsed: avro_schema_t?
        let failure: AvroCError? = avroErrorLock.withLock { _ in
            let status = json.withCString { avro_schema_from_json_length($0, strlen($0), &parsed) }
            if status != 0 || parsed == nil {
                return AvroCError(operation: "schema parse", message: String(cString: avro_strerror()))
            }
            return nil
        }
        if let failure { throw failure }
        guard let interface = avro_generic_class_from_schema(parsed) else {
            avro_schema_decref(parsed)
            throw AvroCError(operation: "value class", message: "no value class for schema")
        }
        schema = parsed!
        valueInterface = interface
    }

    deinit {
        es_avro_value_iface_decref(valueInterface)
        avro_schema_decref(schema)
    }

    /// Decodes one value with Avro C; returns it and the bytes Avro C writes for it again (equal to
    /// the input exactly when Avro C read every byte as the writer meant it).
    public func decode(_ bytes: [UInt8]) throws(AvroCError) -> (value: GenericAvroValue, reencoded: [UInt8]) {
        var value = avro_value_t()
        guard avro_generic_value_new(valueInterface, &value) == 0 else {
            throw AvroCError(operation: "value allocation", message: "out of memory")
        }
        defer { avro_value_decref(&value) }

        let readOK: Bool = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars -> Bool in
                guard let reader = avro_reader_memory(chars.baseAddress, Int64(chars.count)) else { return false }
                defer { avro_reader_free(reader) }
                return avro_value_read(reader, &value) == 0
            }
        }
        guard readOK else {
            let message = avroErrorLock.withLock { _ in String(cString: avro_strerror()) }
            throw AvroCError(operation: "read", message: message)
        }

        var size = 0
        guard avro_value_sizeof(&value, &size) == 0 else { throw AvroCError(operation: "sizeof", message: "") }
        var reencoded = [UInt8](repeating: 0, count: size)
        let written = reencoded.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars -> Bool in
                guard let writer = avro_writer_memory(chars.baseAddress, Int64(chars.count)) else { return false }
                defer { avro_writer_free(writer) }
                return avro_value_write(writer, &value) == 0
            }
        }
        guard written else { throw AvroCError(operation: "write", message: "") }
        return (try Self.convert(value), reencoded)
    }

    private static func convert(_ value: avro_value_t) throws(AvroCError) -> GenericAvroValue {
        var value = value
        switch es_avro_value_get_type(&value) {
        case AVRO_NULL: return .null
        case AVRO_BOOLEAN:
            var out: Int32 = 0
            _ = es_avro_value_get_boolean(&value, &out)
            return .boolean(out != 0)
        case AVRO_INT32:
            var out: Int32 = 0
            _ = es_avro_value_get_int(&value, &out)
            return .int(out)
        case AVRO_INT64:
            var out: Int64 = 0
            _ = es_avro_value_get_long(&value, &out)
            return .long(out)
        case AVRO_FLOAT:
            var out: Float = 0
            _ = es_avro_value_get_float(&value, &out)
            return .float(out)
        case AVRO_DOUBLE:
            var out: Double = 0
            _ = es_avro_value_get_double(&value, &out)
            return .double(out)
        case AVRO_STRING:
            var text: UnsafePointer<CChar>?
            var size = 0
            _ = es_avro_value_get_string(&value, &text, &size)
            // avro-c counts the terminating NUL in the size.
            let length = max(size - 1, 0)
            let bytes = text.map { UnsafeRawBufferPointer(start: $0, count: length) } ?? UnsafeRawBufferPointer(start: nil, count: 0)
            return .string(String(decoding: bytes, as: UTF8.self))
        case AVRO_BYTES:
            var data: UnsafeRawPointer?
            var size = 0
            _ = es_avro_value_get_bytes(&value, &data, &size)
            return .bytes(data.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? [])
        case AVRO_ARRAY, AVRO_RECORD:
            var count = 0
            _ = es_avro_value_get_size(&value, &count)
            var items: [(name: String, value: GenericAvroValue)] = []
            for index in 0..<count {
                var child = avro_value_t()
                var name: UnsafePointer<CChar>?
                _ = es_avro_value_get_by_index(&value, index, &child, &name)
                items.append((name.map { String(cString: $0) } ?? "", try convert(child)))
            }
            return es_avro_value_get_type(&value) == AVRO_ARRAY ? .array(items.map(\.value)) : .record(items)
        case AVRO_UNION:
            var discriminant: Int32 = 0
            var branch = avro_value_t()
            _ = es_avro_value_get_discriminant(&value, &discriminant)
            _ = es_avro_value_get_current_branch(&value, &branch)
            return .union(branch: Int(discriminant), try convert(branch))
        default:
            throw AvroCError(operation: "convert", message: "unsupported Avro type in ELAsTiCC schemas")
        }
    }
}
