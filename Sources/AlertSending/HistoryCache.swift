/// Object histories kept across batches. Alerts go out in time order and an object's alerts
/// fall into several batches, so an object is read once, when its first alert of the run comes
/// up, through the time of its last alert of the run, and kept until that alert is built. The
/// PPDB indexes forced sources by object, not by object and time, so reading only "what is
/// new" each batch would still scan the object's whole photometry every time.
///
/// Bounded by a row budget, least recently used objects first and only down to nine tenths of
/// it (an evicted object is simply read again); rows older than any later alert can use are
/// dropped. Evicting only a tenth keeps the objects whose next alert is near: emptying much more
/// on overflow makes a large night read many histories twice.
///
/// State of the reading connection: kept inside `AlertStore`, the actor on that connection.
struct HistoryCache {
    private struct Entry {
        var history: EncodedHistory
        var lastAlert: Double
        var lastBatch: Int
    }

    private var entries: [Int64: Entry] = [:]
    private(set) var cachedRows = 0
    private var batch = 0
    let maximumRows: Int

    init(maximumRows: Int = 2_000_000) {
        self.maximumRows = maximumRows
    }

    /// What a time-ordered page of alerts needs read: each object not yet held, through the
    /// time of its last alert of the run.
    func missing(for page: [PendingAlert]) -> [AlertStore.HistoryRequest] {
        guard let first = page.first else { return [] }
        let oldestNeeded = first.source.midPointTai - AlertTopics.fullHistoryDays
        var lastAlerts: [Int64: Double] = [:]
        for alert in page {
            if let id = alert.source.diaObjectId, entries[id] == nil { lastAlerts[id] = alert.objectLastAlert }
        }
        return lastAlerts.map { AlertStore.HistoryRequest(objectId: $0.key, forcedFrom: oldestNeeded, through: $0.value) }
    }

    /// Keeps the rows read for `requests`.
    mutating func add(_ read: AlertStore.ObjectRows, for requests: [AlertStore.HistoryRequest]) {
        for request in requests {
            guard let (object, isDDF) = read.objects[request.objectId] else { continue }
            let sources = read.sources[request.objectId] ?? []
            let forced = read.forcedSources[request.objectId] ?? []
            let history = EncodedHistory(
                ObjectHistory(
                    object: object, isDDF: isDDF, sources: sources, forcedSources: forced,
                    firstSourceTime: sources.first?.midPointTai ?? .infinity))
            entries[request.objectId] = Entry(history: history, lastAlert: request.through, lastBatch: batch + 1)
            cachedRows += history.rowCount
        }
    }

    /// The histories of the page's objects; forgets each object whose last alert of the run is
    /// in this page.
    mutating func take(for page: [PendingAlert]) -> [Int64: EncodedHistory] {
        guard let first = page.first, let last = page.last else { return [:] }
        batch += 1
        let oldestNeeded = first.source.midPointTai - AlertTopics.fullHistoryDays
        let ids = Set(page.compactMap(\.source.diaObjectId))
        var result: [Int64: EncodedHistory] = [:]
        result.reserveCapacity(ids.count)
        for id in ids {
            guard var entry = entries[id] else { continue }
            // Later alerts are later in time: rows before this batch's reach are never needed again.
            let (kept, dropped) = entry.history.droppingForcedSources(before: oldestNeeded)
            entry.history = kept
            cachedRows -= dropped
            entry.lastBatch = batch
            result[id] = entry.history
            // This batch builds the object's last alert of the run: nothing later needs it.
            if entry.lastAlert <= last.source.midPointTai {
                forget(id, entry)
            } else {
                entries[id] = entry
            }
        }
        evictIfOverBudget()
        return result
    }

    private mutating func forget(_ id: Int64, _ entry: Entry) {
        cachedRows -= entry.history.rowCount
        entries[id] = nil
    }

    private mutating func evictIfOverBudget() {
        guard cachedRows > maximumRows else { return }
        let byAge = entries.sorted { $0.value.lastBatch < $1.value.lastBatch }
        for (id, entry) in byAge where cachedRows > maximumRows / 10 * 9 {
            forget(id, entry)
        }
    }
}
