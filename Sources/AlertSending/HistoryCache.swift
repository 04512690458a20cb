/// Object histories kept across batches. Alerts go out in time order and an object's alerts
/// fall into several batches, so an object is read once, when its first alert of the run comes
/// up, through the time of its last alert of the run, and kept until that alert is built. The
/// PPDB indexes forced sources by object, not by object and time, so reading only "what is
/// new" each batch would still scan the object's whole photometry every time.
///
/// Bounded by a row budget, least recently used objects first (an evicted object is simply
/// read again); rows older than any later alert can use are dropped.
///
/// `@unchecked Sendable`: used only from one serial queue at a time.
final class HistoryCache: @unchecked Sendable {
    private struct Entry {
        var history: ObjectHistory
        var lastAlert: Double
        var lastBatch: Int
    }

    private var entries: [Int64: Entry] = [:]
    private var cachedRows = 0
    private var batch = 0
    let maximumRows: Int

    init(maximumRows: Int = 1_000_000) {
        self.maximumRows = maximumRows
    }

    /// The histories of a time-ordered page of alerts' objects.
    func histories(for page: [PendingAlert], store: AlertStore) throws -> [Int64: ObjectHistory] {
        guard let first = page.first, let last = page.last else { return [:] }
        batch += 1
        let oldestNeeded = first.source.midPointTai - AlertTopics.fullHistoryDays
        var lastAlerts: [Int64: Double] = [:]
        for alert in page {
            if let id = alert.source.diaObjectId { lastAlerts[id] = alert.objectLastAlert }
        }
        let requests = lastAlerts.compactMap { id, lastAlert in
            entries[id] == nil ? AlertStore.HistoryRequest(objectId: id, forcedFrom: oldestNeeded, through: lastAlert) : nil
        }
        if !requests.isEmpty {
            let read = try store.histories(requests)
            for request in requests {
                guard let (object, isDDF) = read.objects[request.objectId] else { continue }
                let sources = read.sources[request.objectId] ?? []
                let forced = read.forcedSources[request.objectId] ?? []
                let history = ObjectHistory(object: object, isDDF: isDDF, sources: sources, forcedSources: forced,
                                            firstSourceTime: sources.first?.midPointTai ?? .infinity)
                entries[request.objectId] = Entry(history: history, lastAlert: request.through, lastBatch: batch)
                cachedRows += sources.count + forced.count
            }
        }

        var result: [Int64: ObjectHistory] = [:]
        result.reserveCapacity(lastAlerts.count)
        for id in lastAlerts.keys {
            guard var entry = entries[id] else { continue }
            // Later alerts are later in time: rows before this batch's reach are never needed again.
            let stale = entry.history.forcedSources.partitioningIndex { $0.midPointTai >= oldestNeeded }
            if stale > 0 {
                entry.history.forcedSources.removeFirst(stale)
                cachedRows -= stale
            }
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

    private func forget(_ id: Int64, _ entry: Entry) {
        cachedRows -= entry.history.sources.count + entry.history.forcedSources.count
        entries[id] = nil
    }

    private func evictIfOverBudget() {
        guard cachedRows > maximumRows else { return }
        let byAge = entries.sorted { $0.value.lastBatch < $1.value.lastBatch }
        for (id, entry) in byAge where cachedRows > maximumRows / 2 {
            forget(id, entry)
        }
    }
}
