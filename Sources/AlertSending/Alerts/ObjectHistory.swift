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
        let reach = Self.reach(of: t, historyDays: historyDays, firstSourceTime: firstSourceTime)
        let previous = sources[sources.timeRange(from: reach.sourcesFrom, before: t, by: \.midPointTai)]
        let forced = reach.forcedFrom.map { forcedSources[forcedSources.timeRange(from: $0, before: t, by: \.midPointTai)] } ?? []
        return Alert(alertId: alertId, diaSource: source, prvDiaSources: Array(previous), prvDiaForcedSources: Array(forced), diaObject: object)
    }

    /// How far back an alert at `time` reaches (both kinds of history end before `time`):
    /// sources from `time − historyDays`; forced sources from that and no earlier than the first
    /// source − 30 days, or none at all (nil) when `time` is within half a day of the first source.
    public static func reach(of time: Double, historyDays: Double, firstSourceTime: Double) -> (sourcesFrom: Double, forcedFrom: Double?) {
        let earliest = time - historyDays
        guard time - firstSourceTime >= 0.5 else { return (earliest, nil) }
        return (earliest, max(earliest, firstSourceTime - forcedDaysBeforeFirstSource))
    }
}

extension Array {
    /// Indices of the time-sorted rows with `from ≤ time < before`.
    public func timeRange(from: Double, before: Double, by time: (Element) -> Double) -> Range<Int> {
        let lower = partitioningIndex { time($0) >= from }
        let upper = partitioningIndex { time($0) >= before }
        return lower..<Swift.max(lower, upper)
    }

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
