/// Object histories kept across batches. Alerts go out in time order and an object's alerts
/// fall into several batches, so each batch reads only what is new since the object was last
/// read: its forced photometry is read once, not once per batch. Bounded by a row budget, least
/// recently used objects first; rows older than any later alert can use are dropped.
///
/// `@unchecked Sendable`: used only on the sender's serial read queue.
final class HistoryCache: @unchecked Sendable {
    private struct Entry {
        var history: ObjectHistory
        /// Sources are read through this time (inclusive), forced sources up to it (exclusive).
        var readThrough: Double
        var lastBatch: Int
    }

    private var entries: [Int64: Entry] = [:]
    private var cachedForcedRows = 0
    private var batch = 0
    let maximumForcedRows: Int

    init(maximumForcedRows: Int = 1_000_000) {
        self.maximumForcedRows = maximumForcedRows
    }

    func histories(_ objectIds: [Int64], from earliestAlert: Double, through latestAlert: Double, store: AlertStore) throws -> [Int64: ObjectHistory] {
        batch += 1
        let oldestNeeded = earliestAlert - AlertTopics.fullHistoryDays
        let requests = objectIds.map { id -> AlertStore.HistoryRequest in
            if let entry = entries[id] {
                return .init(objectId: id, isCached: true, sourcesAfter: entry.readThrough, forcedFrom: entry.readThrough)
            }
            return .init(objectId: id, isCached: false, sourcesAfter: -.infinity, forcedFrom: oldestNeeded)
        }
        let increment = try store.historyIncrements(requests, through: latestAlert)
        var result: [Int64: ObjectHistory] = [:]
        result.reserveCapacity(objectIds.count)
        for id in objectIds {
            var entry: Entry
            if let cached = entries[id] {
                entry = cached
            } else if let (object, isDDF) = increment.objects[id] {
                entry = Entry(history: ObjectHistory(object: object, isDDF: isDDF, sources: [], forcedSources: [], firstSourceTime: .infinity),
                              readThrough: -.infinity, lastBatch: batch)
            } else {
                continue
            }
            entry.history.sources += increment.sources[id] ?? []
            entry.history.firstSourceTime = entry.history.sources.first?.midPointTai ?? .infinity
            let before = entry.history.forcedSources.count
            entry.history.forcedSources += increment.forcedSources[id] ?? []
            // Later alerts are later in time: rows before this batch's reach are never needed again.
            let stale = entry.history.forcedSources.partitioningIndex { $0.midPointTai >= oldestNeeded }
            if stale > 0 { entry.history.forcedSources.removeFirst(stale) }
            cachedForcedRows += entry.history.forcedSources.count - before
            entry.readThrough = latestAlert
            entry.lastBatch = batch
            entries[id] = entry
            result[id] = entry.history
        }
        evictIfOverBudget()
        return result
    }

    private func evictIfOverBudget() {
        guard cachedForcedRows > maximumForcedRows else { return }
        let byAge = entries.sorted { $0.value.lastBatch < $1.value.lastBatch }
        for (id, entry) in byAge where cachedForcedRows > maximumForcedRows / 2 {
            cachedForcedRows -= entry.history.forcedSources.count
            entries[id] = nil
        }
    }
}
