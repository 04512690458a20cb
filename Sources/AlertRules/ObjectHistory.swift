import AvroSchemas

/// Builds alerts by the TOM's rules from an object's rows, shared across every alert of that
/// object in a batch.
public struct ObjectHistory: Sendable {
    public var object: DiaObject
    public var isDDF: Bool
    /// The object's sources up to the batch's last alert, by time.
    public var sources: [DiaSource]
    /// The object's forced sources that any alert of the batch may include, by time.
    public var forcedSources: [DiaForcedSource]
    /// Time of the object's first source.
    public var firstSourceTime: Double
    /// How far before its object's first source an alert's forced sources reach.
    public static let forcedDaysBeforeFirstSource = 30.0

    public init(object: DiaObject, isDDF: Bool, sources: [DiaSource], forcedSources: [DiaForcedSource], firstSourceTime: Double) {
        self.object = object
        self.isDDF = isDDF
        self.sources = sources
        self.forcedSources = forcedSources
        self.firstSourceTime = firstSourceTime
    }

    /// The alert for `source` (one of this object's) with `historyDays` of history:
    /// previous sources with t − H ≤ time < t; previous forced sources with time ≥ t − H,
    /// ≥ first source − 30 and < t, none at all when t is within half a day of the first source.
    public func alert(alertId: Int64, source: DiaSource, historyDays: Double) -> Alert {
        let t = source.midPointTai
        let earliest = t - historyDays
        let previous = sources[range(of: sources, from: earliest, before: t)]
        var forced: ArraySlice<DiaForcedSource> = []
        if t - firstSourceTime >= 0.5 {
            forced = forcedSources[range(of: forcedSources, from: max(earliest, firstSourceTime - Self.forcedDaysBeforeFirstSource), before: t)]
        }
        return Alert(alertId: alertId, diaSource: source, prvDiaSources: Array(previous), prvDiaForcedSources: Array(forced), diaObject: object)
    }

    /// Indices of the time-sorted rows with `from ≤ time < before`.
    private func range<Row: TimedRow>(of rows: [Row], from: Double, before: Double) -> Range<Int> {
        let lower = rows.partitioningIndex { $0.midPointTai >= from }
        let upper = rows.partitioningIndex { $0.midPointTai >= before }
        return lower..<max(lower, upper)
    }
}

protocol TimedRow { var midPointTai: Double { get } }
extension DiaSource: TimedRow {}
extension DiaForcedSource: TimedRow {}

extension Array {
    /// The first index whose element satisfies `predicate`, for a predicate false then true along the array.
    public func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if predicate(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
