import AvroSchemas
import SeededRandom

/// A stand-in classifier: given an alert, the classes and probabilities it answers with.
/// Adding one is one new type conforming to this protocol, listed in `Classifiers.all`.
public protocol Classifier: Sendable {
    var brokerName: String { get }
    var brokerVersion: String { get }
    var classifierName: String { get }
    var classifierParams: String { get }
    func classify(_ alert: Alert, random: inout ClassifierRandom) -> [BrokerClassification.Classification]
}

public enum Classifiers {
    public static let all: [any Classifier] = [NugentClassifier(), RandomSNType()]

    public static func named(_ names: [String]) throws -> [any Classifier] {
        try names.map { name in
            guard let classifier = all.first(where: { $0.classifierName == name }) else {
                throw UnknownClassifier(name: name)
            }
            return classifier
        }
    }

    public struct UnknownClassifier: Error, CustomStringConvertible {
        public var name: String
        public var description: String {
            "unknown classifier '\(name)'; known: \(Classifiers.all.map(\.classifierName).joined(separator: ", "))"
        }
    }
}

/// A SplitMix64 stream per (seed, alert, classifier), so a seed fixes every answer whatever the
/// batching, ordering or restarts.
public struct ClassifierRandom: RandomNumberGenerator {
    private var generator: SplitMix64

    public init(seed: UInt64, alertId: Int64, salt: String) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in salt.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        generator = SplitMix64(state: seed ^ (UInt64(bitPattern: alertId) &* 0x9E37_79B9_7F4A_7C15) ^ hash)
    }

    public mutating func next() -> UInt64 { generator.next() }
}
