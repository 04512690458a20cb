import Foundation

/// One broker message as a broker PUTs it to `elasticc2/brokermessage/` (the brokerClassification
/// v0_9_1 fields, timestamps in milliseconds since the epoch, possibly fractional, plus an
/// optional `brokerPublishTimestamp`), checked field by field.
public struct BrokerMessagePush: Sendable, Equatable {
    public var alertId: Int64
    public var diaSourceId: Int64
    /// Microseconds since the epoch.
    public var elasticcPublishTimestamp: Int64
    public var brokerIngestTimestamp: Int64
    public var brokerPublishTimestamp: Int64?
    public var brokerName: String
    public var brokerVersion: String
    public var classifierName: String
    public var classifierParams: String
    public var classIds: [Int16]
    public var probabilities: [Float]

    public static let maximumClassifications = 1000
    public static let maximumMessages = 100_000

    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    private struct Wire: Decodable {
        struct Classification: Decodable {
            var classId: Int64
            var probability: Double
        }
        var alertId: Int64
        var diaSourceId: Int64
        var elasticcPublishTimestamp: Double
        var brokerIngestTimestamp: Double
        var brokerPublishTimestamp: Double?
        var brokerName: String
        var brokerVersion: String
        var classifierName: String
        var classifierParams: String
        var classifications: [Classification]
    }

    static let knownFields: Set<String> = [
        "alertId", "diaSourceId", "elasticcPublishTimestamp", "brokerIngestTimestamp", "brokerPublishTimestamp", "brokerName",
        "brokerVersion", "classifierName", "classifierParams", "classifications",
    ]

    /// The messages of a request body: one JSON object or a non-empty list of them.
    public static func parse(_ body: Data) throws(Invalid) -> [BrokerMessagePush] {
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: body) } catch { throw Invalid(description: "the body is not valid JSON") }
        let isList = json is [Any]
        let objects = (json as? [Any]) ?? [json]
        guard !objects.isEmpty else { throw Invalid(description: "the body is an empty list: nothing to store") }
        guard objects.count <= maximumMessages else { throw Invalid(description: "more than \(maximumMessages) messages in one request") }
        for (index, object) in objects.enumerated() {
            guard let fields = object as? [String: Any] else { throw Invalid(description: "message \(index): not a JSON object") }
            if let unknown = fields.keys.sorted().first(where: { !knownFields.contains($0) }) {
                throw Invalid(description: "message \(index): \(unknown) is not a brokerClassification field")
            }
        }
        let wires: [Wire]
        do {
            wires = isList ? try JSONDecoder().decode([Wire].self, from: body) : [try JSONDecoder().decode(Wire.self, from: body)]
        } catch let error as DecodingError {
            throw Invalid(description: describe(error, isList: isList))
        } catch {
            throw Invalid(description: "the body cannot be read: \(error)")
        }
        var messages: [BrokerMessagePush] = []
        messages.reserveCapacity(wires.count)
        for (index, wire) in wires.enumerated() { messages.append(try BrokerMessagePush(wire, index: index)) }
        return messages
    }

    private init(_ wire: Wire, index: Int) throws(Invalid) {
        func fail(_ field: String, _ problem: String) -> Invalid { Invalid(description: "message \(index): \(field) \(problem)") }
        func microseconds(_ milliseconds: Double, _ field: String) throws(Invalid) -> Int64 {
            guard milliseconds.isFinite, abs(milliseconds) < 1e14 else { throw fail(field, "must be milliseconds since 1970") }
            return Int64((milliseconds * 1000).rounded())
        }
        func text(_ value: String, _ field: String, maximum: Int) throws(Invalid) -> String {
            guard value.count <= maximum else { throw fail(field, "is longer than \(maximum) characters") }
            return value
        }
        alertId = wire.alertId
        diaSourceId = wire.diaSourceId
        elasticcPublishTimestamp = try microseconds(wire.elasticcPublishTimestamp, "elasticcPublishTimestamp")
        brokerIngestTimestamp = try microseconds(wire.brokerIngestTimestamp, "brokerIngestTimestamp")
        brokerPublishTimestamp = try wire.brokerPublishTimestamp.map { (value: Double) throws(Invalid) -> Int64 in
            try microseconds(value, "brokerPublishTimestamp")
        }
        brokerName = try text(wire.brokerName, "brokerName", maximum: 100)
        brokerVersion = try text(wire.brokerVersion, "brokerVersion", maximum: 10_000)
        classifierName = try text(wire.classifierName, "classifierName", maximum: 200)
        classifierParams = try text(wire.classifierParams, "classifierParams", maximum: 10_000)
        guard wire.classifications.count <= Self.maximumClassifications else {
            throw fail("classifications", "has more than \(Self.maximumClassifications) entries")
        }
        var classIds: [Int16] = []
        var probabilities: [Float] = []
        for (position, classification) in wire.classifications.enumerated() {
            guard let classId = Int16(exactly: classification.classId) else {
                throw fail("classifications[\(position)].classId", "is outside smallint (-32768…32767)")
            }
            guard classification.probability.isFinite else { throw fail("classifications[\(position)].probability", "must be a finite number") }
            classIds.append(classId)
            probabilities.append(Float(classification.probability))
        }
        self.classIds = classIds
        self.probabilities = probabilities
    }

    /// "message 3: classifications[1].classId: expected a number" from a decoding error's path.
    private static func describe(_ error: DecodingError, isList: Bool) -> String {
        let (path, problem): ([any CodingKey], String) =
            switch error {
            case .keyNotFound(let key, let context): (context.codingPath + [key], "is missing")
            case .typeMismatch(let type, let context): (context.codingPath, "must be \(typeName(type))")
            case .valueNotFound(let type, let context): (context.codingPath, "must be \(typeName(type)), not null")
            case .dataCorrupted(let context): (context.codingPath, "is not valid: \(context.debugDescription)")
            @unknown default: ([], "is not valid")
            }
        var keys = path[...]
        var message = "message 0"
        if isList, let first = keys.first, let index = first.intValue {
            message = "message \(index)"
            keys = keys.dropFirst()
        }
        var field = ""
        for key in keys {
            if let index = key.intValue { field += "[\(index)]" } else { field += (field.isEmpty ? "" : ".") + key.stringValue }
        }
        return "\(message): \(field.isEmpty ? "the message" : field) \(problem)"
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int64.Type: "an integer"
        case is Double.Type, is Double?.Type: "a number"
        case is String.Type: "a string"
        default: "a \(type)"
        }
    }
}
