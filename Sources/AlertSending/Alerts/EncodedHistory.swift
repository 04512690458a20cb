import AvroSchemas

/// An object's history with every row already in Avro binary, for the many alerts built from
/// it: an alert is then its id and source written, and three runs of bytes copied. Each row is
/// encoded once while the history is kept, not once for every alert that carries it (a source
/// early in a 30-alert light curve went out 29 times), and no alert copies its rows into an
/// `Alert` first. The bytes are those of `AvroCodec.encode(history.alert(…))`.
///
/// Immutable, and a class: a batch looks each alert's history up, and a struct of five arrays
/// cost five retains and releases a lookup.
public final class EncodedHistory: Sendable {
    public let isDDF: Bool
    /// Time of the object's first source.
    public let firstSourceTime: Double
    private let sources: EncodedRows
    private let forcedSources: EncodedRows
    /// The `diaObject` union branch and record, with which every alert of the object ends.
    private let objectBytes: [UInt8]

    public convenience init(_ history: ObjectHistory) {
        var writer = AvroBinaryWriter(reservingCapacity: 512)
        writer.writeLong(1)  // the union's record branch
        history.object.encode(to: &writer)
        self.init(
            isDDF: history.isDDF, firstSourceTime: history.firstSourceTime, sources: EncodedRows(history.sources, time: \.midPointTai),
            forcedSources: EncodedRows(history.forcedSources, time: \.midPointTai), objectBytes: writer.finish())
    }

    private init(isDDF: Bool, firstSourceTime: Double, sources: EncodedRows, forcedSources: EncodedRows, objectBytes: [UInt8]) {
        self.isDDF = isDDF
        self.firstSourceTime = firstSourceTime
        self.sources = sources
        self.forcedSources = forcedSources
        self.objectBytes = objectBytes
    }

    /// Rows held: sources and forced sources.
    public var rowCount: Int { sources.count + forcedSources.count }

    /// The encoded alert for `source` (one of this object's), by `ObjectHistory.alert`'s rules.
    public func alert(alertId: Int64, source: DiaSource, historyDays: Double) -> [UInt8] {
        let t = source.midPointTai
        let reach = ObjectHistory.reach(of: t, historyDays: historyDays, firstSourceTime: firstSourceTime)
        let previous = sources.range(from: reach.sourcesFrom, before: t)
        let forced = reach.forcedFrom.map { forcedSources.range(from: $0, before: t) } ?? 0..<0
        let size = sources.byteCount(of: previous) + forcedSources.byteCount(of: forced) + objectBytes.count + source.filterName.utf8.count + 96
        var writer = AvroBinaryWriter(reservingCapacity: size)
        writer.writeLong(alertId)
        source.encode(to: &writer)
        writer.writeLong(1)
        sources.writeArray(previous, to: &writer)
        writer.writeLong(1)
        forcedSources.writeArray(forced, to: &writer)
        writer.writeRaw(objectBytes)
        return writer.finish()
    }

    /// This history without the forced sources before `time` (no later alert reaches them),
    /// and how many went.
    public func droppingForcedSources(before time: Double) -> (history: EncodedHistory, dropped: Int) {
        let (kept, dropped) = forcedSources.droppingRows(before: time)
        guard dropped > 0 else { return (self, 0) }
        let history = EncodedHistory(
            isDDF: isDDF, firstSourceTime: firstSourceTime, sources: sources, forcedSources: kept, objectBytes: objectBytes)
        return (history, dropped)
    }
}

/// Time-sorted rows encoded back to back, with each row's time and where it ends.
private struct EncodedRows: Sendable {
    private var times: [Double] = []
    private var bytes: [UInt8] = []
    /// `offsets[i]` is where row `i` starts; one more than the rows, the last is the end.
    private var offsets: [UInt32] = [0]

    init<Row: AvroRecord>(_ rows: [Row], time: (Row) -> Double) {
        times.reserveCapacity(rows.count)
        offsets.reserveCapacity(rows.count + 1)
        var writer = AvroBinaryWriter(reservingCapacity: rows.count * 48 + 16)
        for row in rows {
            row.encode(to: &writer)
            times.append(time(row))
            offsets.append(UInt32(writer.byteCount))
        }
        bytes = writer.finish()
        // Kept for the whole run: not with the slack of the writer's guess (48 bytes a row, ~30 used).
        if bytes.capacity > bytes.count + bytes.count / 8 { bytes = bytes.withUnsafeBufferPointer { Array($0) } }
    }

    var count: Int { times.count }

    /// Indices of the rows with `from ≤ time < before`.
    func range(from: Double, before: Double) -> Range<Int> {
        times.timeRange(from: from, before: before) { $0 }
    }

    func byteCount(of range: Range<Int>) -> Int {
        Int(offsets[range.upperBound] - offsets[range.lowerBound])
    }

    /// The rows as an Avro array: one block, then the zero terminator.
    func writeArray(_ range: Range<Int>, to writer: inout AvroBinaryWriter) {
        if !range.isEmpty {
            writer.writeLong(Int64(range.count))
            writer.writeRaw(bytes[Int(offsets[range.lowerBound])..<Int(offsets[range.upperBound])])
        }
        writer.writeLong(0)
    }

    func droppingRows(before time: Double) -> (rows: EncodedRows, dropped: Int) {
        let stale = times.partitioningIndex { $0 >= time }
        guard stale > 0 else { return (self, 0) }
        var rows = self
        let cut = offsets[stale]
        rows.bytes.removeFirst(Int(cut))
        rows.times.removeFirst(stale)
        rows.offsets = offsets[stale...].map { $0 - cut }
        return (rows, stale)
    }
}
