import AvroSchemas

/// A typical ELAsTiCC alert: 9 previous sources, 21 previous forced sources, a full diaObject
/// (about 1.4 KB encoded), with realistic values.
enum TypicalAlert {
    static func make(alertId: Int64 = 1_234_567_890) -> Alert {
        let objectId: Int64 = 12_345_678
        let filters = ["u", "g", "r", "i", "z", "Y"]
        func source(_ index: Int) -> DiaSource {
            DiaSource(
                diaSourceId: objectId * 100_000 + Int64(index), diaObjectId: objectId, midPointTai: 60_300.1234 + Double(index) * 2.7,
                filterName: filters[index % 6], ra: 150.123456789, decl: -2.987654321,
                psFlux: 1234.5 + Float(index) * 10.25, psFluxErr: 45.25 + Float(index), snr: 27.3 - Float(index) * 0.1)
        }
        let forced = (0..<21).map { index in
            DiaForcedSource(
                diaForcedSourceId: objectId * 100_000 + 50 + Int64(index), diaObjectId: objectId,
                midPointTai: 60_280.5 + Double(index) * 1.3, filterName: filters[index % 6],
                psFlux: 800.75 - Float(index) * 3.5, psFluxErr: 40.5)
        }
        let floats: [Float?] = DiaObject.optionalFloatFieldNames.enumerated().map { index, _ in
            index % 9 == 8 ? nil : Float(index) * 0.137 + 0.01
        }
        return Alert(
            alertId: alertId, diaSource: source(9), prvDiaSources: (0..<9).map(source), prvDiaForcedSources: forced,
            diaObject: DiaObject(diaObjectId: objectId, simVersion: "2023-04-01", ra: 150.123456789, decl: -2.987654321, optionalFloats: floats))
    }
}
