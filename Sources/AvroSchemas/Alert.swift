/// `elasticc.v0_9_1.alert`: a detection with its object and history.
public struct Alert: AvroRecord, Hashable {
    public var alertId: Int64
    public var diaSource: DiaSource
    public var prvDiaSources: [DiaSource]?
    public var prvDiaForcedSources: [DiaForcedSource]?
    public var diaObject: DiaObject?

    public init(
        alertId: Int64, diaSource: DiaSource, prvDiaSources: [DiaSource]?,
        prvDiaForcedSources: [DiaForcedSource]?, diaObject: DiaObject?
    ) {
        self.alertId = alertId
        self.diaSource = diaSource
        self.prvDiaSources = prvDiaSources
        self.prvDiaForcedSources = prvDiaForcedSources
        self.diaObject = diaObject
    }

    public static let minimumEncodedSize = 1 + DiaSource.minimumEncodedSize + 3

    public func encode(to writer: inout AvroBinaryWriter) {
        writer.writeLong(alertId)
        diaSource.encode(to: &writer)
        writer.writeOptional(prvDiaSources) { writer, sources in
            writer.writeArray(sources) { $1.encode(to: &$0) }
        }
        writer.writeOptional(prvDiaForcedSources) { writer, sources in
            writer.writeArray(sources) { $1.encode(to: &$0) }
        }
        writer.writeOptional(diaObject) { $1.encode(to: &$0) }
    }

    public init(from reader: inout AvroBinaryReader) throws(AvroDecodingError) {
        alertId = try reader.readLong("alertId")
        diaSource = try reader.readRecord("diaSource")
        prvDiaSources =
            try reader.readOptionalBranch("prvDiaSources")
            ? try reader.readRecordArray("prvDiaSources") : nil
        prvDiaForcedSources =
            try reader.readOptionalBranch("prvDiaForcedSources")
            ? try reader.readRecordArray("prvDiaForcedSources") : nil
        diaObject = try reader.readOptionalBranch("diaObject") ? try reader.readRecord("diaObject") : nil
    }
}
