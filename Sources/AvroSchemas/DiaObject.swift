/// `elasticc.v0_9_1.diaObject`: an object and its host-galaxy properties.
///
/// The schema has 68 nullable float fields after the position; they are kept in schema order in
/// `optionalFloats`, named by `DiaObject.optionalFloatFieldNames`, because every consumer (SQL
/// columns, Avro, tests) walks them as a list rather than one by one.
public struct DiaObject: AvroRecord, Hashable {
    public var diaObjectId: Int64
    public var simVersion: String?
    public var ra: Double
    public var decl: Double
    public var optionalFloats: [Float?]

    /// Avro field names of the nullable floats, in schema order (`mwebv` … `hostgal2_magerr_Y`).
    public static let optionalFloatFieldNames: [String] = {
        var names = ["mwebv", "mwebv_err", "z_final", "z_final_err"]
        for galaxy in ["hostgal", "hostgal2"] {
            names += ["ellipticity", "sqradius", "zspec", "zspec_err", "zphot", "zphot_err"].map { "\(galaxy)_\($0)" }
            names += stride(from: 0, through: 100, by: 10).map { quantile in
                "\(galaxy)_zphot_q" + String(repeating: "0", count: 3 - String(quantile).count) + String(quantile)
            }
            names += "ugrizY".map { "\(galaxy)_mag_\($0)" }
            names += ["ra", "dec", "snsep"].map { "\(galaxy)_\($0)" }
            names += "ugrizY".map { "\(galaxy)_magerr_\($0)" }
        }
        return names
    }()

    public init(diaObjectId: Int64, simVersion: String?, ra: Double, decl: Double, optionalFloats: [Float?]) {
        precondition(
            optionalFloats.count == Self.optionalFloatFieldNames.count, "diaObject needs \(Self.optionalFloatFieldNames.count) optional floats")
        self.diaObjectId = diaObjectId
        self.simVersion = simVersion
        self.ra = ra
        self.decl = decl
        self.optionalFloats = optionalFloats
    }

    public subscript(field name: String) -> Float? {
        guard let index = Self.optionalFloatFieldNames.firstIndex(of: name) else { return nil }
        return optionalFloats[index]
    }

    public static let minimumEncodedSize = 1 + 1 + 8 + 8 + 68

    public func encode(to writer: inout AvroBinaryWriter) {
        writer.writeLong(diaObjectId)
        writer.writeOptional(simVersion) { $0.writeString($1) }
        writer.writeDouble(ra)
        writer.writeDouble(decl)
        for value in optionalFloats {
            writer.writeOptional(value) { $0.writeFloat($1) }
        }
    }

    public init(from reader: inout AvroBinaryReader) throws(AvroDecodingError) {
        diaObjectId = try reader.readLong("diaObjectId")
        simVersion = try reader.readOptionalBranch("simVersion") ? try reader.readString("simVersion") : nil
        ra = try reader.readDouble("ra")
        decl = try reader.readDouble("decl")
        var floats = [Float?]()
        floats.reserveCapacity(Self.optionalFloatFieldNames.count)
        for name in Self.optionalFloatFieldNames {
            do {
                floats.append(try reader.readOptionalBranch("") ? try reader.readFloat("") : nil)
            } catch {
                var named = error
                named.path = name
                throw named
            }
        }
        optionalFloats = floats
    }
}
