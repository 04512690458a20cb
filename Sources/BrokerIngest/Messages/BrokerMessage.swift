import AvroSchemas
import Postgres

/// One classifier's answer to one alert, as the TOM keeps it in `elasticc2_brokermessage`: the
/// one model of a broker message, whether it came from a Kafka topic or a REST push. Both ways
/// in build it through `init(validating…)`, so they refuse the same inputs with the same words.
public struct BrokerMessage: Sendable, Equatable {
    public var alertId: Int64
    public var diaSourceId: Int64
    public var elasticcPublishTimestamp: PostgresTimestamp
    public var brokerIngestTimestamp: PostgresTimestamp?
    public var classifier: BrokerClassifiers.Key
    public var classIds: [Int16]
    public var probabilities: [Float]

    /// Why a message cannot be stored: the field, and what is wrong with its value.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var field: String
        public var problem: String

        public init(_ field: String, _ problem: String) {
            self.field = field
            self.problem = problem
        }

        public var description: String { "\(field) \(problem)" }
    }

    /// What the TOM's tables accept, and the bounds on what they would accept without limit.
    public enum Limits {
        /// `elasticc2_brokerclassifier.brokername varchar(100)`, counted as PostgreSQL does (code points).
        public static let brokerName = 100
        /// `elasticc2_brokerclassifier.classifiername varchar(200)`.
        public static let classifierName = 200
        /// `brokerversion` and `classifierparams` are `text`: bounded so a message cannot carry megabytes.
        public static let freeText = 10_000
        public static let classifications = 1000
        /// PostgreSQL's timestamp range, trimmed to the years 1–9999, in milliseconds since 1970.
        public static let timestampMilliseconds: ClosedRange<Int64> = -62_135_596_800_000...253_402_300_799_999
    }

    public init(
        alertId: Int64, diaSourceId: Int64, elasticcPublishTimestamp: PostgresTimestamp, brokerIngestTimestamp: PostgresTimestamp?,
        classifier: BrokerClassifiers.Key, classIds: [Int16], probabilities: [Float]
    ) {
        self.alertId = alertId
        self.diaSourceId = diaSourceId
        self.elasticcPublishTimestamp = elasticcPublishTimestamp
        self.brokerIngestTimestamp = brokerIngestTimestamp
        self.classifier = classifier
        self.classIds = classIds
        self.probabilities = probabilities
    }

    /// A brokerClassification record read from Kafka (timestamps in whole milliseconds).
    public init(validating record: BrokerClassification) throws(Invalid) {
        try self.init(
            alertId: record.alertId, diaSourceId: record.diaSourceId,
            elasticcPublishTimestamp: try Self.timestamp(milliseconds: record.elasticcPublishTimestamp, field: "elasticcPublishTimestamp"),
            brokerIngestTimestamp: try record.brokerIngestTimestamp.map { (value: Int64) throws(Invalid) in
                try Self.timestamp(milliseconds: value, field: "brokerIngestTimestamp")
            },
            brokerName: record.brokerName, brokerVersion: record.brokerVersion, classifierName: record.classifierName,
            classifierParams: record.classifierParams, classifications: record.classifications,
            classId: { Int64($0.classId) }, probability: { Double($0.probability) })
    }

    /// The checks every way in shares: text lengths and NUL characters, the classifications'
    /// count, smallint class ids and finite probabilities.
    public init<Classifications: Collection>(
        alertId: Int64, diaSourceId: Int64, elasticcPublishTimestamp: PostgresTimestamp, brokerIngestTimestamp: PostgresTimestamp?,
        brokerName: String, brokerVersion: String, classifierName: String, classifierParams: String,
        classifications: Classifications, classId: (Classifications.Element) -> Int64, probability: (Classifications.Element) -> Double
    ) throws(Invalid) {
        try Self.check(brokerName, "brokerName", maximum: Limits.brokerName)
        try Self.check(brokerVersion, "brokerVersion", maximum: Limits.freeText)
        try Self.check(classifierName, "classifierName", maximum: Limits.classifierName)
        try Self.check(classifierParams, "classifierParams", maximum: Limits.freeText)
        guard classifications.count <= Limits.classifications else {
            throw Invalid("classifications", "has more than \(Limits.classifications) entries")
        }
        var classIds: [Int16] = []
        var probabilities: [Float] = []
        classIds.reserveCapacity(classifications.count)
        probabilities.reserveCapacity(classifications.count)
        for (position, entry) in classifications.enumerated() {
            guard let id = Int16(exactly: classId(entry)) else {
                throw Invalid("classifications[\(position)].classId", "is outside smallint (-32768…32767)")
            }
            let value = probability(entry)
            guard value.isFinite, abs(value) <= Double(Float.greatestFiniteMagnitude) else {
                throw Invalid("classifications[\(position)].probability", "must be a finite number")
            }
            classIds.append(id)
            probabilities.append(Float(value))
        }
        self.init(
            alertId: alertId, diaSourceId: diaSourceId, elasticcPublishTimestamp: elasticcPublishTimestamp,
            brokerIngestTimestamp: brokerIngestTimestamp,
            classifier: BrokerClassifiers.Key(
                brokerName: brokerName, brokerVersion: brokerVersion, classifierName: classifierName, classifierParams: classifierParams),
            classIds: classIds, probabilities: probabilities)
    }

    /// The message as a brokerClassification record (times to the millisecond).
    public var record: BrokerClassification {
        BrokerClassification(
            alertId: alertId, diaSourceId: diaSourceId, elasticcPublishTimestamp: elasticcPublishTimestamp.millisecondsSinceEpoch,
            brokerIngestTimestamp: brokerIngestTimestamp?.millisecondsSinceEpoch, brokerName: classifier.brokerName,
            brokerVersion: classifier.brokerVersion, classifierName: classifier.classifierName, classifierParams: classifier.classifierParams,
            classifications: zip(classIds, probabilities).map { BrokerClassification.Classification(classId: Int32($0), probability: $1) })
    }

    /// A time in whole milliseconds since 1970, as Kafka and the Avro schema give it.
    public static func timestamp(milliseconds: Int64, field: String) throws(Invalid) -> PostgresTimestamp {
        guard Limits.timestampMilliseconds.contains(milliseconds) else { throw outOfRange(field) }
        return PostgresTimestamp(millisecondsSinceEpoch: milliseconds)
    }

    /// A time in milliseconds since 1970 that may have a fraction, as brokers PUT it over REST.
    public static func timestamp(milliseconds: Double, field: String) throws(Invalid) -> PostgresTimestamp {
        let range = Limits.timestampMilliseconds
        guard milliseconds.isFinite, milliseconds >= Double(range.lowerBound), milliseconds <= Double(range.upperBound) else {
            throw outOfRange(field)
        }
        return PostgresTimestamp(microsecondsSinceEpoch: Int64((milliseconds * 1000).rounded()))
    }

    private static func outOfRange(_ field: String) -> Invalid {
        Invalid(field, "must be milliseconds since 1970 within the years 1–9999")
    }

    /// PostgreSQL counts a `varchar`'s length in code points and refuses NUL in any text.
    private static func check(_ text: String, _ field: String, maximum: Int) throws(Invalid) {
        var text = text
        let (bytes, holdsNUL) = text.withUTF8 { ($0.count, $0.contains(0)) }
        if holdsNUL { throw Invalid(field, "holds a NUL character") }
        // Code points are counted only when the bytes could exceed the limit.
        if bytes > maximum, text.unicodeScalars.count > maximum { throw Invalid(field, "is longer than \(maximum) characters") }
    }
}
