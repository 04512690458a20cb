import AvroSchemas

/// The TOM's test classifier that spreads probability over the 20 supernova-like classes: the
/// first 19 in a random order, each u × (1 − sum so far), then 2242 with the remainder.
public struct RandomSNType: Classifier {
    public let brokerName = "FakeBroker"
    public let brokerVersion = "v1.0"
    public let classifierName = "RandomSNType"
    public let classifierParams = "Perfect"

    static let shuffledClasses: [Int32] = [
        2222, 2223, 2224, 2225, 2226, 2232, 2233, 2234, 2235, 2243, 2244, 2245, 2246,
        2322, 2323, 2324, 2325, 2326, 2332,
    ]
    static let remainderClass: Int32 = 2242

    public init() {}

    public func classify(_ alert: Alert, random: inout ClassifierRandom) -> [BrokerClassification.Classification] {
        var classes = Self.shuffledClasses
        classes.shuffle(using: &random)
        var result: [BrokerClassification.Classification] = []
        result.reserveCapacity(classes.count + 1)
        var total: Double = 0
        for classId in classes {
            let probability = Double.random(in: 0..<1, using: &random) * (1 - total)
            total += probability
            result.append(.init(classId: classId, probability: Float(probability)))
        }
        result.append(.init(classId: Self.remainderClass, probability: Float(1 - total)))
        return result
    }
}
