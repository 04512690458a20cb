import AvroSchemas
import TOMDatabase

/// One synthetic object with all its rows, in the TOM's id scheme.
struct SynthObject: Sendable {
    var object: DiaObject
    var isDDF: Bool
    var sources: [DiaSource]
    var forcedSources: [DiaForcedSource]
    var truth: [Double?]
    var truthGentype: Int32
}
