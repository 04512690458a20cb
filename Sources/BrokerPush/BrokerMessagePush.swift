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

        /// Any key, to find the ones that are not brokerClassification fields.
        struct AnyKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        struct UnknownField: Error {
            var name: String
        }

        enum CodingKeys: String, CodingKey {
            case alertId, diaSourceId, elasticcPublishTimestamp, brokerIngestTimestamp, brokerPublishTimestamp, brokerName, brokerVersion
            case classifierName, classifierParams, classifications
        }

        init(from decoder: any Decoder) throws {
            if let unknown = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue).sorted()
                .first(where: { CodingKeys(rawValue: $0) == nil })
            {
                throw UnknownField(name: unknown)
            }
            let fields = try decoder.container(keyedBy: CodingKeys.self)
            alertId = try fields.decode(Int64.self, forKey: .alertId)
            diaSourceId = try fields.decode(Int64.self, forKey: .diaSourceId)
            elasticcPublishTimestamp = try fields.decode(Double.self, forKey: .elasticcPublishTimestamp)
            brokerIngestTimestamp = try fields.decode(Double.self, forKey: .brokerIngestTimestamp)
            brokerPublishTimestamp = try fields.decodeIfPresent(Double.self, forKey: .brokerPublishTimestamp)
            brokerName = try fields.decode(String.self, forKey: .brokerName)
            brokerVersion = try fields.decode(String.self, forKey: .brokerVersion)
            classifierName = try fields.decode(String.self, forKey: .classifierName)
            classifierParams = try fields.decode(String.self, forKey: .classifierParams)
            classifications = try fields.decode([Classification].self, forKey: .classifications)
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

    /// The body as a list of messages, or nil when it is not a JSON list.
    private struct Messages: Decodable {
        var wires: [Wire]
        init(from decoder: any Decoder) throws {
            var list = try decoder.unkeyedContainer()
            var wires: [Wire] = []
            while !list.isAtEnd {
                if (try? list.decodeNil()) == true { throw NotAnObject(index: wires.count) }
                do {
                    wires.append(try list.decode(Wire.self))
                } catch DecodingError.typeMismatch(let type, let context) where type is [String: Any].Type && context.codingPath.count == 1 {
                    throw NotAnObject(index: wires.count)
                }
            }
            self.wires = wires
        }
    }

    struct NotAnObject: Error {
        var index: Int
    }

    /// The messages of a request body: one JSON object or a non-empty list of them, read in one pass.
    public static func parse(_ body: Data) throws(Invalid) -> [BrokerMessagePush] {
        let first = body.first { !" \t\r\n".utf8.contains($0) }
        let isList = first == UInt8(ascii: "[")
        let wires: [Wire]
        do {
            wires = isList ? try JSONDecoder().decode(Messages.self, from: body).wires : [try JSONDecoder().decode(Wire.self, from: body)]
        } catch let error as Wire.UnknownField {
            // The index is not known here: find it by the unknown name.
            throw Invalid(description: "\(indexOfUnknown(error.name, in: body, isList: isList)): \(error.name) is not a brokerClassification field")
        } catch let error as NotAnObject {
            throw Invalid(description: "message \(error.index): not a JSON object")
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            throw Invalid(description: "the body is not valid JSON")
        } catch let error as DecodingError {
            throw Invalid(description: describe(error, isList: isList))
        } catch {
            throw Invalid(description: "the body cannot be read: \(error)")
        }
        guard !wires.isEmpty else { throw Invalid(description: "the body is an empty list: nothing to store") }
        guard wires.count <= maximumMessages else { throw Invalid(description: "more than \(maximumMessages) messages in one request") }
        var messages: [BrokerMessagePush] = []
        messages.reserveCapacity(wires.count)
        for (index, wire) in wires.enumerated() { messages.append(try BrokerMessagePush(wire, index: index)) }
        return messages
    }

    /// "message N" for the first object holding `name` (an error path only: the slow way is fine).
    private static func indexOfUnknown(_ name: String, in body: Data, isList: Bool) -> String {
        guard isList, let list = try? JSONSerialization.jsonObject(with: body) as? [Any] else { return "message 0" }
        let index = list.firstIndex { ($0 as? [String: Any])?[name] != nil } ?? 0
        return "message \(index)"
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
