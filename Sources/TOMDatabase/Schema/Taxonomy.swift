/// The TOM's class-id taxonomy, as its migration `0016_redo_typemap` leaves the two tables:
/// the same rows in the same order, with the ids they get there (after `0002_fill_typemap`'s
/// 47 and 93 rows, deleted by 0016, used ids 1–47 and 1–93: deleting keeps a sequence going).
public enum Taxonomy {
    /// A node of the taxonomy, with the one simulation gentype it stands for if it is a leaf.
    public struct ClassNode: Sendable, Equatable {
        public var classId: Int
        public var gentype: Int?
        public var description: String
    }

    /// That a gentype counts as a class, and how closely (`exactmatch` only for the leaf).
    public struct GentypeMatch: Sendable, Equatable {
        public var gentype: Int
        public var classId: Int
        public var exactMatch: Bool
        public var categoryMatch: Bool
        public var generalMatch: Bool
        public var broadMatch: Bool
        public var description: String
    }

    /// `elasticc2_gentypeofclassid`, whose ids start here.
    public static let firstClassNodeId = 48
    /// `elasticc2_classidofgentype`, whose ids start here.
    public static let firstGentypeMatchId = 94

    public static let classNodes: [ClassNode] = [
        ClassNode(classId: 0, gentype: nil, description: "Meta"),
        ClassNode(classId: 100, gentype: nil, description: "Meta/Other"),
        ClassNode(classId: 200, gentype: nil, description: "Residual"),
        ClassNode(classId: 300, gentype: nil, description: "NotClassified"),
        ClassNode(classId: 1000, gentype: nil, description: "Static"),
        ClassNode(classId: 1100, gentype: nil, description: "Static/Other"),
        ClassNode(classId: 2000, gentype: nil, description: "Variable"),
        ClassNode(classId: 2100, gentype: nil, description: "Variable/Other"),
        ClassNode(classId: 2200, gentype: nil, description: "Non-Recurring"),
        ClassNode(classId: 2210, gentype: nil, description: "Non-Recurring/Other"),
        ClassNode(classId: 2220, gentype: nil, description: "SN-like"),
        ClassNode(classId: 2221, gentype: nil, description: "SN-like/Other"),
        ClassNode(classId: 2222, gentype: 10, description: "Ia"),
        ClassNode(classId: 2223, gentype: 20, description: "Ib/c"),
        ClassNode(classId: 2223, gentype: 21, description: "Ib/c"),
        ClassNode(classId: 2223, gentype: 25, description: "Ib/c"),
        ClassNode(classId: 2223, gentype: 26, description: "Ib/c"),
        ClassNode(classId: 2223, gentype: 27, description: "Ib/c"),
        ClassNode(classId: 2224, gentype: 30, description: "II"),
        ClassNode(classId: 2224, gentype: 31, description: "II"),
        ClassNode(classId: 2224, gentype: 32, description: "II"),
        ClassNode(classId: 2224, gentype: 35, description: "II"),
        ClassNode(classId: 2224, gentype: 36, description: "II"),
        ClassNode(classId: 2224, gentype: 37, description: "II"),
        ClassNode(classId: 2225, gentype: 12, description: "Iax"),
        ClassNode(classId: 2226, gentype: 11, description: "91bg"),
        ClassNode(classId: 2230, gentype: nil, description: "Fast"),
        ClassNode(classId: 2231, gentype: nil, description: "Fast/Other"),
        ClassNode(classId: 2232, gentype: 50, description: "KN"),
        ClassNode(classId: 2232, gentype: 51, description: "KN"),
        ClassNode(classId: 2233, gentype: 82, description: "M-dwarf Flare"),
        ClassNode(classId: 2234, gentype: 84, description: "Dwarf Novae"),
        ClassNode(classId: 2235, gentype: 87, description: "uLens"),
        ClassNode(classId: 2235, gentype: 88, description: "uLens"),
        ClassNode(classId: 2235, gentype: 89, description: "uLens"),
        ClassNode(classId: 2240, gentype: nil, description: "Long"),
        ClassNode(classId: 2241, gentype: nil, description: "Long/Other"),
        ClassNode(classId: 2242, gentype: 40, description: "SLSN"),
        ClassNode(classId: 2243, gentype: 42, description: "TDE"),
        ClassNode(classId: 2244, gentype: 45, description: "ILOT"),
        ClassNode(classId: 2245, gentype: 46, description: "CART"),
        ClassNode(classId: 2246, gentype: 59, description: "PISN"),
        ClassNode(classId: 2300, gentype: nil, description: "Recurring"),
        ClassNode(classId: 2310, gentype: nil, description: "Recurring/Other"),
        ClassNode(classId: 2320, gentype: nil, description: "Periodic"),
        ClassNode(classId: 2321, gentype: nil, description: "Periodic/Other"),
        ClassNode(classId: 2322, gentype: 90, description: "Cepheid"),
        ClassNode(classId: 2323, gentype: 80, description: "RR Lyrae"),
        ClassNode(classId: 2324, gentype: 91, description: "Delta Scuti"),
        ClassNode(classId: 2325, gentype: 83, description: "EB"),
        ClassNode(classId: 2326, gentype: nil, description: "LPV/Mira"),
        ClassNode(classId: 2330, gentype: nil, description: "Non-Periodic"),
        ClassNode(classId: 2331, gentype: nil, description: "Non-Periodic/Other"),
        ClassNode(classId: 2332, gentype: 60, description: "AGN"),
    ]

    public static let gentypeMatches: [GentypeMatch] = [
        GentypeMatch(
            gentype: 10, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 11, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 12, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 20, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 21, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 25, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 26, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 27, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 30, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 31, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 32, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 35, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 36, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 37, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 40, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 42, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 45, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 46, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 50, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 51, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 59, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 60, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 80, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 82, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 83, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 84, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 87, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 88, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 89, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 90, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 91, classId: 2000, exactMatch: false, categoryMatch: false, generalMatch: false, broadMatch: true, description: "Variable"),
        GentypeMatch(
            gentype: 10, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 11, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 12, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 20, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 21, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 25, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 26, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 27, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 30, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 31, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 32, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 35, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 36, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 37, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 40, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 42, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 45, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 46, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 50, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 51, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 59, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 82, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 84, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 87, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 88, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 89, classId: 2200, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Non-Recurring"),
        GentypeMatch(
            gentype: 10, classId: 2220, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "SN-like"),
        GentypeMatch(
            gentype: 11, classId: 2220, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "SN-like"),
        GentypeMatch(
            gentype: 12, classId: 2220, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "SN-like"),
        GentypeMatch(
            gentype: 20, classId: 2220, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "SN-like"),
        GentypeMatch(
            gentype: 21, classId: 2220, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "SN-like"),
        GentypeMatch(
            gentype: 25, classId: 2220, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "SN-like"),
        GentypeMatch(
            gentype: 26, classId: 2220, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "SN-like"),
        GentypeMatch(
            gentype: 27, classId: 2220, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "SN-like"),
        GentypeMatch(
            gentype: 30, classId: 2220, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "SN-like"),
        GentypeMatch(
            gentype: 31, classId: 2220, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "SN-like"),
        GentypeMatch(
            gentype: 32, classId: 2220, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "SN-like"),
        GentypeMatch(
            gentype: 35, classId: 2220, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "SN-like"),
        GentypeMatch(
            gentype: 36, classId: 2220, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "SN-like"),
        GentypeMatch(
            gentype: 37, classId: 2220, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "SN-like"),
        GentypeMatch(gentype: 10, classId: 2222, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Ia"),
        GentypeMatch(gentype: 11, classId: 2226, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "91bg"),
        GentypeMatch(gentype: 12, classId: 2225, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Iax"),
        GentypeMatch(gentype: 20, classId: 2223, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Ib/c"),
        GentypeMatch(gentype: 21, classId: 2223, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Ib/c"),
        GentypeMatch(gentype: 25, classId: 2223, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Ib/c"),
        GentypeMatch(gentype: 26, classId: 2223, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Ib/c"),
        GentypeMatch(gentype: 27, classId: 2223, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Ib/c"),
        GentypeMatch(gentype: 30, classId: 2224, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "II"),
        GentypeMatch(gentype: 31, classId: 2224, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "II"),
        GentypeMatch(gentype: 32, classId: 2224, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "II"),
        GentypeMatch(gentype: 35, classId: 2224, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "II"),
        GentypeMatch(gentype: 36, classId: 2224, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "II"),
        GentypeMatch(gentype: 37, classId: 2224, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "II"),
        GentypeMatch(gentype: 50, classId: 2230, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Fast"),
        GentypeMatch(gentype: 51, classId: 2230, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Fast"),
        GentypeMatch(gentype: 82, classId: 2230, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Fast"),
        GentypeMatch(gentype: 84, classId: 2230, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Fast"),
        GentypeMatch(gentype: 87, classId: 2230, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Fast"),
        GentypeMatch(gentype: 88, classId: 2230, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Fast"),
        GentypeMatch(gentype: 89, classId: 2230, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Fast"),
        GentypeMatch(gentype: 50, classId: 2232, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "KN"),
        GentypeMatch(gentype: 51, classId: 2232, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "KN"),
        GentypeMatch(
            gentype: 82, classId: 2233, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "M-dwarf Flare"),
        GentypeMatch(
            gentype: 84, classId: 2234, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Dwarf Novae"),
        GentypeMatch(gentype: 87, classId: 2235, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "uLens"),
        GentypeMatch(gentype: 88, classId: 2235, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "uLens"),
        GentypeMatch(gentype: 89, classId: 2235, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "uLens"),
        GentypeMatch(gentype: 40, classId: 2240, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Long"),
        GentypeMatch(gentype: 42, classId: 2240, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Long"),
        GentypeMatch(gentype: 45, classId: 2240, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Long"),
        GentypeMatch(gentype: 46, classId: 2240, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Long"),
        GentypeMatch(gentype: 59, classId: 2240, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Long"),
        GentypeMatch(gentype: 40, classId: 2242, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "SLSN"),
        GentypeMatch(gentype: 42, classId: 2243, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "TDE"),
        GentypeMatch(gentype: 45, classId: 2244, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "ILOT"),
        GentypeMatch(gentype: 46, classId: 2245, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "CART"),
        GentypeMatch(gentype: 59, classId: 2246, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "PISN"),
        GentypeMatch(
            gentype: 60, classId: 2300, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Recurring"),
        GentypeMatch(
            gentype: 80, classId: 2300, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Recurring"),
        GentypeMatch(
            gentype: 83, classId: 2300, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Recurring"),
        GentypeMatch(
            gentype: 90, classId: 2300, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Recurring"),
        GentypeMatch(
            gentype: 91, classId: 2300, exactMatch: false, categoryMatch: false, generalMatch: true, broadMatch: true, description: "Recurring"),
        GentypeMatch(
            gentype: 80, classId: 2320, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Periodic"),
        GentypeMatch(
            gentype: 83, classId: 2320, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Periodic"),
        GentypeMatch(
            gentype: 90, classId: 2320, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Periodic"),
        GentypeMatch(
            gentype: 91, classId: 2320, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Periodic"),
        GentypeMatch(gentype: 90, classId: 2322, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Cepheid"),
        GentypeMatch(
            gentype: 80, classId: 2323, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "RR Lyrae"),
        GentypeMatch(
            gentype: 91, classId: 2324, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Delta Scuti"),
        GentypeMatch(gentype: 83, classId: 2325, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "EB"),
        GentypeMatch(
            gentype: 60, classId: 2330, exactMatch: false, categoryMatch: true, generalMatch: true, broadMatch: true, description: "Non-Periodic"),
        GentypeMatch(gentype: 60, classId: 2332, exactMatch: true, categoryMatch: true, generalMatch: true, broadMatch: true, description: "AGN"),
    ]
}
