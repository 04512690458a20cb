import Foundation
import JSON
import Postgres

/// One broker message as a broker PUTs it to `elasticc2/brokermessage/`: the brokerClassification
/// v0_9_1 fields in JSON, timestamps in milliseconds since the epoch (possibly fractional), plus an
/// optional `brokerPublishTimestamp`. Its fields are checked by `BrokerMessage`, as Kafka's are.
public struct BrokerMessagePush: Sendable, Equatable {
    public var message: BrokerMessage
    /// The broker's publish time, stored as the row's `msghdrtimestamp`.
    public var brokerPublishTimestamp: PostgresTimestamp?

    public static let maximumMessages = 100_000

    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    static let fieldNames: Set<String> = [
        "alertId", "diaSourceId", "elasticcPublishTimestamp", "brokerIngestTimestamp", "brokerPublishTimestamp", "brokerName",
        "brokerVersion", "classifierName", "classifierParams", "classifications",
    ]

    /// The messages of a request body: one JSON object or a non-empty list of them.
    public static func parse(_ body: Data) throws(Invalid) -> [BrokerMessagePush] {
        let document: JSONValue
        do {
            document = try JSONValue.parse(body)
        } catch {
            throw Invalid(description: "the body is not valid JSON: \(error)")
        }
        let objects: [JSONValue]
        switch document {
        case .array(let list): objects = list
        case .object: objects = [document]
        default: throw Invalid(description: "the body must be a JSON object or a list of them, not \(document.kindName)")
        }
        guard !objects.isEmpty else { throw Invalid(description: "the body is an empty list: nothing to store") }
        guard objects.count <= maximumMessages else { throw Invalid(description: "more than \(maximumMessages) messages in one request") }
        var messages: [BrokerMessagePush] = []
        messages.reserveCapacity(objects.count)
        for (index, object) in objects.enumerated() {
            guard case .object(let pairs) = object else { throw Invalid(description: "message \(index): not a JSON object") }
            do {
                messages.append(try BrokerMessagePush(Fields(pairs)))
            } catch {
                throw Invalid(description: "message \(index): \(error)")
            }
        }
        return messages
    }

    private init(_ fields: Fields) throws(BrokerMessage.Invalid) {
        if let unknown = fields.names.filter({ !Self.fieldNames.contains($0) }).sorted().first {
            throw BrokerMessage.Invalid(unknown, "is not a brokerClassification field")
        }
        var classifications: [(classId: Int64, probability: Double)] = []
        let entries = try fields.list("classifications")
        classifications.reserveCapacity(min(entries.count, BrokerMessage.Limits.classifications + 1))
        for (position, entry) in entries.prefix(BrokerMessage.Limits.classifications + 1).enumerated() {
            guard case .object(let pairs) = entry else {
                throw BrokerMessage.Invalid("classifications[\(position)]", "must be an object, not \(entry.kindName)")
            }
            let classification = Fields(pairs, path: "classifications[\(position)].")
            classifications.append((try classification.integer("classId"), try classification.number("probability")))
        }
        message = try BrokerMessage(
            alertId: try fields.integer("alertId"), diaSourceId: try fields.integer("diaSourceId"),
            elasticcPublishTimestamp: try BrokerMessage.timestamp(
                milliseconds: try fields.number("elasticcPublishTimestamp"), field: "elasticcPublishTimestamp"),
            brokerIngestTimestamp: try BrokerMessage.timestamp(
                milliseconds: try fields.number("brokerIngestTimestamp"), field: "brokerIngestTimestamp"),
            brokerName: try fields.string("brokerName"), brokerVersion: try fields.string("brokerVersion"),
            classifierName: try fields.string("classifierName"), classifierParams: try fields.string("classifierParams"),
            classifications: classifications, classId: \.classId, probability: \.probability)
        brokerPublishTimestamp = try fields.optionalNumber("brokerPublishTimestamp").map { (value: Double) throws(BrokerMessage.Invalid) in
            try BrokerMessage.timestamp(milliseconds: value, field: "brokerPublishTimestamp")
        }
    }

    /// An object's members read by name, each error naming the field's path. A message has a
    /// handful of members: looking them up in order costs less than hashing them.
    private struct Fields {
        var pairs: [(String, JSONValue)]
        var path: String

        init(_ pairs: [(String, JSONValue)], path: String = "") {
            self.pairs = pairs
            self.path = path
        }

        var names: [String] { pairs.map(\.0) }

        func member(_ name: String) -> JSONValue? {
            pairs.first { $0.0 == name }?.1
        }

        func present(_ name: String, _ kind: String) throws(BrokerMessage.Invalid) -> JSONValue {
            guard let value = member(name) else { throw BrokerMessage.Invalid(path + name, "is missing") }
            if value == .null { throw BrokerMessage.Invalid(path + name, "must be \(kind), not null") }
            return value
        }

        func integer(_ name: String) throws(BrokerMessage.Invalid) -> Int64 {
            guard case .int(let value) = try present(name, "an integer") else { throw BrokerMessage.Invalid(path + name, "must be an integer") }
            return value
        }

        func number(_ name: String) throws(BrokerMessage.Invalid) -> Double {
            switch try present(name, "a number") {
            case .int(let value): return Double(value)
            case .double(let value): return value
            case .float(let value): return Double(value)
            default: throw BrokerMessage.Invalid(path + name, "must be a number")
            }
        }

        func optionalNumber(_ name: String) throws(BrokerMessage.Invalid) -> Double? {
            guard let value = member(name), value != .null else { return nil }
            return try number(name)
        }

        func string(_ name: String) throws(BrokerMessage.Invalid) -> String {
            guard case .string(let value) = try present(name, "a string") else { throw BrokerMessage.Invalid(path + name, "must be a string") }
            return value
        }

        func list(_ name: String) throws(BrokerMessage.Invalid) -> [JSONValue] {
            guard case .array(let value) = try present(name, "a list") else { throw BrokerMessage.Invalid(path + name, "must be a list") }
            return value
        }
    }
}
