/// `elasticc.v0_9_1.diaForcedSource`: forced photometry at an object's position.
public struct DiaForcedSource: AvroRecord, Hashable {
    public var diaForcedSourceId: Int64
    public var diaObjectId: Int64
    public var midPointTai: Double
    public var filterName: String
    public var psFlux: Float
    public var psFluxErr: Float

    public init(diaForcedSourceId: Int64, diaObjectId: Int64, midPointTai: Double, filterName: String, psFlux: Float, psFluxErr: Float) {
        self.diaForcedSourceId = diaForcedSourceId
        self.diaObjectId = diaObjectId
        self.midPointTai = midPointTai
        self.filterName = filterName
        self.psFlux = psFlux
        self.psFluxErr = psFluxErr
    }

    public static let minimumEncodedSize = 1 + 1 + 8 + 1 + 4 + 4

    public func encode(to writer: inout AvroBinaryWriter) {
        writer.writeLong(diaForcedSourceId)
        writer.writeLong(diaObjectId)
        writer.writeDouble(midPointTai)
        writer.writeString(filterName)
        writer.writeFloat(psFlux)
        writer.writeFloat(psFluxErr)
    }

    public init(from reader: inout AvroBinaryReader) throws(AvroDecodingError) {
        diaForcedSourceId = try reader.readLong("diaForcedSourceId")
        diaObjectId = try reader.readLong("diaObjectId")
        midPointTai = try reader.readDouble("midPointTai")
        filterName = try reader.readString("filterName")
        psFlux = try reader.readFloat("psFlux")
        psFluxErr = try reader.readFloat("psFluxErr")
    }
}
