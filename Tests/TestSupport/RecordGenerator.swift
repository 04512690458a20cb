import AvroSchemas
import SeededRandom

/// A seeded SplitMix64 generator, so every run of the interop tests sees the same records.
public struct SeededGenerator: RandomNumberGenerator {
    private var generator: SplitMix64
    public init(seed: UInt64) { generator = SplitMix64(state: seed) }
    public mutating func next() -> UInt64 { generator.next() }
}

/// Generates records that cover the edges of the encoding: nulls in every nullable field,
/// empty and long arrays, NaN and infinities, extreme longs, non-ASCII strings.
public struct RecordGenerator {
    public var random: SeededGenerator

    public init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    public static let strings = ["g", "r", "Y", "", "ü", "日本語", "🌌 galaxy", "a\"quote\\back", String(repeating: "x", count: 300)]
    public static let specialDoubles: [Double] = [
        .nan, .infinity, -.infinity, 0, -0.0, .greatestFiniteMagnitude, .leastNonzeroMagnitude, 60578.123456789,
    ]
    public static let specialFloats: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, .greatestFiniteMagnitude, .leastNonzeroMagnitude, 1.5e-7]
    public static let specialLongs: [Int64] = [.min, .max, 0, -1, 1, 63, 64, -64, -65, 1 << 40]

    public mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &random) < probability }

    public mutating func long() -> Int64 {
        chance(0.3) ? Self.specialLongs.randomElement(using: &random)! : Int64.random(in: -1_000_000_000_000...1_000_000_000_000, using: &random)
    }
    public mutating func double() -> Double {
        chance(0.2) ? Self.specialDoubles.randomElement(using: &random)! : Double.random(in: -1e6...1e6, using: &random)
    }
    public mutating func float() -> Float {
        chance(0.2) ? Self.specialFloats.randomElement(using: &random)! : Float.random(in: -1e5...1e5, using: &random)
    }
    public mutating func string() -> String { Self.strings.randomElement(using: &random)! }
    public mutating func count(upTo limit: Int) -> Int {
        chance(0.25) ? 0 : (chance(0.1) ? limit : Int.random(in: 1...max(limit / 10, 1), using: &random))
    }

    public mutating func diaSource() -> DiaSource {
        DiaSource(
            diaSourceId: long(), diaObjectId: chance(0.3) ? nil : long(), midPointTai: double(), filterName: string(),
            ra: double(), decl: double(), psFlux: float(), psFluxErr: float(), snr: float())
    }

    public mutating func diaForcedSource() -> DiaForcedSource {
        DiaForcedSource(
            diaForcedSourceId: long(), diaObjectId: long(), midPointTai: double(), filterName: string(), psFlux: float(), psFluxErr: float())
    }

    public mutating func diaObject() -> DiaObject {
        let allNull = chance(0.2)
        var floats: [Float?] = []
        for _ in DiaObject.optionalFloatFieldNames { floats.append(allNull || chance(0.3) ? nil : float()) }
        return DiaObject(diaObjectId: long(), simVersion: chance(0.3) ? nil : string(), ra: double(), decl: double(), optionalFloats: floats)
    }

    public mutating func alert() -> Alert {
        let sourceCount = count(upTo: 200)
        let forcedCount = count(upTo: 2000)
        var sources: [DiaSource] = []
        for _ in 0..<sourceCount { sources.append(diaSource()) }
        var forced: [DiaForcedSource] = []
        for _ in 0..<forcedCount { forced.append(diaForcedSource()) }
        return Alert(
            alertId: long(), diaSource: diaSource(),
            prvDiaSources: chance(0.2) ? nil : sources,
            prvDiaForcedSources: chance(0.2) ? nil : forced,
            diaObject: chance(0.2) ? nil : diaObject())
    }

    public mutating func brokerClassification() -> BrokerClassification {
        var classifications: [BrokerClassification.Classification] = []
        for _ in 0..<count(upTo: 40) {
            classifications.append(.init(classId: Int32.random(in: .min ... .max, using: &random), probability: float()))
        }
        return BrokerClassification(
            alertId: long(), diaSourceId: long(), elasticcPublishTimestamp: long(),
            brokerIngestTimestamp: chance(0.3) ? nil : long(), brokerName: string(), brokerVersion: string(),
            classifierName: string(), classifierParams: string(), classifications: classifications)
    }
}

/// Renders records as the JSON dictionaries fastavro writes from (Python's json reads NaN and
/// Infinity literals; floats are written as the exact double of their float32 value).
public enum FastavroJSON {
    public static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
        return "\(value)"
    }
    public static func number(_ value: Float) -> String { number(Double(value)) }

    public static func string(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 {
                    out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    public static func optional<T>(_ value: T?, _ render: (T) -> String) -> String { value.map(render) ?? "null" }

    public static func object(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    public static func render(_ source: DiaSource) -> String {
        object([
            ("diaSourceId", "\(source.diaSourceId)"), ("diaObjectId", optional(source.diaObjectId) { "\($0)" }),
            ("midPointTai", number(source.midPointTai)), ("filterName", string(source.filterName)),
            ("ra", number(source.ra)), ("decl", number(source.decl)), ("psFlux", number(source.psFlux)),
            ("psFluxErr", number(source.psFluxErr)), ("snr", number(source.snr)),
        ])
    }

    public static func render(_ forced: DiaForcedSource) -> String {
        object([
            ("diaForcedSourceId", "\(forced.diaForcedSourceId)"), ("diaObjectId", "\(forced.diaObjectId)"),
            ("midPointTai", number(forced.midPointTai)), ("filterName", string(forced.filterName)),
            ("psFlux", number(forced.psFlux)), ("psFluxErr", number(forced.psFluxErr)),
        ])
    }

    public static func render(_ object: DiaObject) -> String {
        var pairs = [
            ("diaObjectId", "\(object.diaObjectId)"), ("simVersion", optional(object.simVersion, string)),
            ("ra", number(object.ra)), ("decl", number(object.decl)),
        ]
        for (name, value) in zip(DiaObject.optionalFloatFieldNames, object.optionalFloats) {
            pairs.append((name, optional(value) { number($0) }))
        }
        return Self.object(pairs)
    }

    public static func render(_ alert: Alert) -> String {
        object([
            ("alertId", "\(alert.alertId)"), ("diaSource", render(alert.diaSource)),
            ("prvDiaSources", optional(alert.prvDiaSources) { "[" + $0.map { render($0) }.joined(separator: ",") + "]" }),
            ("prvDiaForcedSources", optional(alert.prvDiaForcedSources) { "[" + $0.map { render($0) }.joined(separator: ",") + "]" }),
            ("diaObject", optional(alert.diaObject) { render($0) }),
        ])
    }

    public static func render(_ message: BrokerClassification) -> String {
        object([
            ("alertId", "\(message.alertId)"), ("diaSourceId", "\(message.diaSourceId)"),
            ("elasticcPublishTimestamp", "\(message.elasticcPublishTimestamp)"),
            ("brokerIngestTimestamp", optional(message.brokerIngestTimestamp) { "\($0)" }),
            ("brokerName", string(message.brokerName)), ("brokerVersion", string(message.brokerVersion)),
            ("classifierName", string(message.classifierName)), ("classifierParams", string(message.classifierParams)),
            (
                "classifications",
                "["
                    + message.classifications.map {
                        object([("classId", "\($0.classId)"), ("probability", number($0.probability))])
                    }.joined(separator: ",") + "]"
            ),
        ])
    }
}
