/// `elasticc.v0_9_1.brokerClassfication` (sic): one classifier's answer to one alert.
public struct BrokerClassification: AvroRecord, Hashable {
    public struct Classification: AvroRecord, Hashable {
        public var classId: Int32
        public var probability: Float

        public init(classId: Int32, probability: Float) {
            self.classId = classId
            self.probability = probability
        }

        public static let minimumEncodedSize = 1 + 4

        public func encode(to writer: inout AvroBinaryWriter) {
            writer.writeInt(classId)
            writer.writeFloat(probability)
        }

        public init(from reader: inout AvroBinaryReader) throws(AvroDecodingError) {
            classId = try reader.readInt("classId")
            probability = try reader.readFloat("probability")
        }
    }

    public var alertId: Int64
    public var diaSourceId: Int64
    /// Milliseconds since the Unix epoch (`timestamp-millis`).
    public var elasticcPublishTimestamp: Int64
    public var brokerIngestTimestamp: Int64?
    public var brokerName: String
    public var brokerVersion: String
    public var classifierName: String
    public var classifierParams: String
    public var classifications: [Classification]

    public init(
        alertId: Int64, diaSourceId: Int64, elasticcPublishTimestamp: Int64, brokerIngestTimestamp: Int64?,
        brokerName: String, brokerVersion: String, classifierName: String, classifierParams: String,
        classifications: [Classification]
    ) {
        self.alertId = alertId
        self.diaSourceId = diaSourceId
        self.elasticcPublishTimestamp = elasticcPublishTimestamp
        self.brokerIngestTimestamp = brokerIngestTimestamp
        self.brokerName = brokerName
        self.brokerVersion = brokerVersion
        self.classifierName = classifierName
        self.classifierParams = classifierParams
        self.classifications = classifications
    }

    public static let minimumEncodedSize = 1 + 1 + 1 + 1 + 4 + 1

    public func encode(to writer: inout AvroBinaryWriter) {
        writer.writeLong(alertId)
        writer.writeLong(diaSourceId)
        writer.writeLong(elasticcPublishTimestamp)
        writer.writeOptional(brokerIngestTimestamp) { $0.writeLong($1) }
        writer.writeString(brokerName)
        writer.writeString(brokerVersion)
        writer.writeString(classifierName)
        writer.writeString(classifierParams)
        writer.writeArray(classifications) { $1.encode(to: &$0) }
    }

    public init(from reader: inout AvroBinaryReader) throws(AvroDecodingError) {
        alertId = try reader.readLong("alertId")
        diaSourceId = try reader.readLong("diaSourceId")
        elasticcPublishTimestamp = try reader.readLong("elasticcPublishTimestamp")
        brokerIngestTimestamp =
            try reader.readOptionalBranch("brokerIngestTimestamp")
            ? try reader.readLong("brokerIngestTimestamp") : nil
        brokerName = try reader.readString("brokerName")
        brokerVersion = try reader.readString("brokerVersion")
        classifierName = try reader.readString("classifierName")
        classifierParams = try reader.readString("classifierParams")
        classifications = try reader.readRecordArray("classifications")
    }
}
