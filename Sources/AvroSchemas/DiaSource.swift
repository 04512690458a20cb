/// `elasticc.v0_9_1.diaSource`: a detection.
public struct DiaSource: AvroRecord, Hashable {
    public var diaSourceId: Int64
    public var diaObjectId: Int64?
    public var midPointTai: Double
    public var filterName: String
    public var ra: Double
    public var decl: Double
    public var psFlux: Float
    public var psFluxErr: Float
    public var snr: Float

    public init(
        diaSourceId: Int64, diaObjectId: Int64?, midPointTai: Double, filterName: String,
        ra: Double, decl: Double, psFlux: Float, psFluxErr: Float, snr: Float
    ) {
        self.diaSourceId = diaSourceId
        self.diaObjectId = diaObjectId
        self.midPointTai = midPointTai
        self.filterName = filterName
        self.ra = ra
        self.decl = decl
        self.psFlux = psFlux
        self.psFluxErr = psFluxErr
        self.snr = snr
    }

    public static let minimumEncodedSize = 1 + 1 + 8 + 1 + 8 + 8 + 4 + 4 + 4

    public func encode(to writer: inout AvroBinaryWriter) {
        writer.writeLong(diaSourceId)
        writer.writeOptional(diaObjectId) { $0.writeLong($1) }
        writer.writeDouble(midPointTai)
        writer.writeString(filterName)
        writer.writeDouble(ra)
        writer.writeDouble(decl)
        writer.writeFloat(psFlux)
        writer.writeFloat(psFluxErr)
        writer.writeFloat(snr)
    }

    public init(from reader: inout AvroBinaryReader) throws(AvroDecodingError) {
        diaSourceId = try reader.readLong("diaSourceId")
        diaObjectId = try reader.readOptionalBranch("diaObjectId") ? try reader.readLong("diaObjectId") : nil
        midPointTai = try reader.readDouble("midPointTai")
        filterName = try reader.readString("filterName")
        ra = try reader.readDouble("ra")
        decl = try reader.readDouble("decl")
        psFlux = try reader.readFloat("psFlux")
        psFluxErr = try reader.readFloat("psFluxErr")
        snr = try reader.readFloat("snr")
    }
}
