/// A schema-less view of one decoded Avro value, as Apache Avro C reads it.
public indirect enum GenericAvroValue: Sendable {
    case null
    case boolean(Bool)
    case int(Int32)
    case long(Int64)
    case float(Float)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    case array([GenericAvroValue])
    case record([(name: String, value: GenericAvroValue)])
    case union(branch: Int, GenericAvroValue)

    /// A record field by name, looking through a union's chosen branch.
    public subscript(field name: String) -> GenericAvroValue? {
        switch self {
        case .record(let fields): return fields.first { $0.name == name }?.value
        case .union(_, let value): return value[field: name]
        default: return nil
        }
    }

    /// The value with any union wrapper removed.
    public var unwrapped: GenericAvroValue {
        if case .union(_, let value) = self { return value.unwrapped }
        return self
    }
}
