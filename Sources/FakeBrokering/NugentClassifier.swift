import AvroSchemas

/// The TOM's test classifier that calls everything a normal type Ia supernova.
public struct NugentClassifier: Classifier {
    public let brokerName = "FakeBroker"
    public let brokerVersion = "v1.0"
    public let classifierName = "NugentClassifier"
    public let classifierParams = "100%"

    public init() {}

    public func classify(_ alert: Alert, random: inout ClassifierRandom) -> [BrokerClassification.Classification] {
        [.init(classId: 2222, probability: 1.0)]
    }
}
