import AlertSending
import AvroSchemas
import TestSupport
import Testing

@Suite("Alerts from pre-encoded histories")
struct EncodedHistoryTests {
    /// A history as the PPDB gives one: sources and forced sources in time order, with the
    /// generator's edge cases (nulls, non-ASCII and long filter names, extreme values) elsewhere.
    static func history(_ generator: inout RecordGenerator, isDDF: Bool) -> ObjectHistory {
        let sourceCount = Int.random(in: 0...40, using: &generator.random)
        let forcedCount = Int.random(in: 0...200, using: &generator.random)
        func times(_ count: Int) -> [Double] {
            (0..<count).map { _ in Double.random(in: 60_000...60_900, using: &generator.random) }.sorted()
        }
        let sources = times(sourceCount).map { time in
            var source = generator.diaSource()
            source.midPointTai = time
            return source
        }
        let forced = times(forcedCount).map { time in
            var row = generator.diaForcedSource()
            row.midPointTai = time
            return row
        }
        return ObjectHistory(
            object: generator.diaObject(), isDDF: isDDF, sources: sources, forcedSources: forced,
            firstSourceTime: sources.first?.midPointTai ?? .infinity)
    }

    @Test("Every alert's bytes are those of the Alert record ObjectHistory builds, full and limited history, after stale rows are dropped too")
    func sameBytes() {
        var generator = RecordGenerator(seed: 0x454E_4348)
        var alerts = 0
        for index in 0..<100 {
            let history = Self.history(&generator, isDDF: index % 3 == 0)
            var encoded = EncodedHistory(history)
            #expect(encoded.rowCount == history.sources.count + history.forcedSources.count)
            // A trigger the history does not hold (any time, NaN too), then each source in turn as alert-sender sends them.
            let triggers = [generator.diaSource()] + history.sources
            var dropped = 0
            for (number, trigger) in triggers.enumerated() {
                for days in [AlertTopics.fullHistoryDays, AlertTopics.limitedHistoryDays] {
                    let expected = AvroCodec.encode(history.alert(alertId: Int64(number) - 3, source: trigger, historyDays: days))
                    #expect(encoded.alert(alertId: Int64(number) - 3, source: trigger, historyDays: days) == expected)
                    alerts += 1
                }
                // What HistoryCache does between batches: forget what no later alert reaches.
                if number % 4 == 3, number + 1 < triggers.count {
                    let (kept, count) = encoded.droppingForcedSources(before: triggers[number + 1].midPointTai - AlertTopics.fullHistoryDays)
                    encoded = kept
                    dropped += count
                }
            }
            #expect(encoded.rowCount == history.sources.count + history.forcedSources.count - dropped)
        }
        #expect(alerts > 1_000)
    }
}
