import AvroSchemas
import TestSupport
import Testing

@testable import AlertSending

@Suite("alert-sender's history cache")
struct HistoryCacheTests {
    /// Rows for objects of 20 rows each: one source and 19 forced sources around MJD 60000.
    static func rows(_ ids: ClosedRange<Int64>, _ generator: inout RecordGenerator) -> AlertStore.ObjectRows {
        var rows = AlertStore.ObjectRows()
        for id in ids {
            rows.objects[id] = (generator.diaObject(), false)
            rows.sources[id] = [
                DiaSource(
                    diaSourceId: id * 100, diaObjectId: id, midPointTai: 60_005, filterName: "r", ra: 1, decl: 2, psFlux: 3, psFluxErr: 1,
                    snr: 3)
            ]
            rows.forcedSources[id] = (0..<19).map {
                DiaForcedSource(
                    diaForcedSourceId: id * 100 + Int64($0) + 1, diaObjectId: id, midPointTai: 59_990 + Double($0), filterName: "r", psFlux: 1,
                    psFluxErr: 1)
            }
        }
        return rows
    }

    static func page(_ ids: ClosedRange<Int64>, at time: Double) -> [PendingAlert] {
        ids.map { id in
            PendingAlert(
                alertId: id * 1000 + Int64(time),
                source: DiaSource(
                    diaSourceId: id * 100 + 50, diaObjectId: id, midPointTai: time, filterName: "g", ra: 1, decl: 2, psFlux: 3, psFluxErr: 1,
                    snr: 3), objectLastAlert: 60_500)
        }
    }

    @Test("Over budget, it forgets the least recently used objects down to nine tenths of the budget, and those are read again when next needed")
    func evictsToNineTenths() {
        var generator = RecordGenerator(seed: 11)
        var cache = HistoryCache(maximumRows: 100)
        let first = Self.page(1...4, at: 60_010)
        let requests = cache.missing(for: first)
        #expect(Set(requests.map(\.objectId)) == Set(1...4))
        cache.add(Self.rows(1...4, &generator), for: requests)
        #expect(cache.take(for: first).count == 4)
        #expect(cache.cachedRows == 80)

        let second = Self.page(5...6, at: 60_020)
        cache.add(Self.rows(5...6, &generator), for: cache.missing(for: second))
        #expect(cache.take(for: second).count == 2)
        // 120 rows held, budget 100: two of the objects last used by the first page go (120 → 80 ≤ 90).
        #expect(cache.cachedRows == 80)
        // Exactly those two are read again when next needed; the newer objects are still held.
        let readAgain = Set(cache.missing(for: Self.page(1...6, at: 60_030)).map(\.objectId))
        #expect(readAgain.count == 2 && readAgain.isSubset(of: 1...4))
    }
}
