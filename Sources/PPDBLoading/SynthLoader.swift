import Dispatch
import Foundation
import Logging
import Postgres
import Synchronization
import TOMDatabase

/// Streams `SynthGenerator` output into the PPDB through binary COPY, a chunk of objects at a
/// time: memory stays flat in the number of objects, and the next chunk is generated on every
/// core while the current one is written. The whole load is one transaction, so an interrupted
/// run leaves nothing behind; into empty tables the indexes are built once, at the end.
public struct SynthLoader: Sendable {
    public struct Summary: Sendable {
        public var objects = 0
        public var ddfObjects = 0
        public var sources = 0
        public var forcedSources = 0
        /// Whether the indexes were built after the rows (the tables were empty).
        public var deferredIndexes = false
        public var seconds = 0.0
    }

    let generator: SynthGenerator
    let conninfo: String
    let logger: Logger
    var chunkSize = 2000

    public init(settings: SynthGenerator.Settings, conninfo: String, logger: Logger) {
        generator = SynthGenerator(settings: settings)
        self.conninfo = conninfo
        self.logger = logger
    }

    public func run() throws -> Summary {
        let connection = try PostgresConnection(conninfo, applicationName: "ppdb synth")
        let started = ContinuousClock.now
        var summary = Summary()
        let total = generator.settings.objects
        try connection.transaction {
            try BulkLoad.relaxForeignKeyChecks(on: connection, logger: logger)
            let bulk = try BulkLoad.beginIfEmpty(on: connection, tables: PPDBCopy.tables)
            summary.deferredIndexes = bulk != nil
            var start = 0
            var pending = generateChunk(from: 0)
            while start < total {
                let chunk = pending
                let next = start + chunkSize
                let nextChunk = Prefetch { next < total ? generateChunk(from: next) : [] }
                try copy(chunk, on: connection, freeze: bulk?.freeze ?? false)
                for item in chunk {
                    summary.objects += 1
                    summary.ddfObjects += item.isDDF ? 1 : 0
                    summary.sources += item.sources.count
                    summary.forcedSources += item.forcedSources.count
                }
                start = next
                pending = try nextChunk.value()
                logger.info("synth progress", metadata: ["objects": "\(summary.objects)/\(total)", "alerts": "\(summary.sources)"])
            }
            if let bulk {
                logger.info("Building the deferred indexes", metadata: ["indexes": "\(bulk.names.count)"])
                try bulk.finish(on: connection, logger: logger)
            }
        }
        // Fresh statistics, or the sender's first queries are planned for empty tables.
        try connection.query("ANALYZE \(unescaped: PPDBCopy.tables.joined(separator: ", "))", statement: "analyze synthetic tables")
        summary.seconds = (ContinuousClock.now - started) / .seconds(1)
        return summary
    }

    private func copy(_ chunk: [SynthObject], on connection: PostgresConnection, freeze: Bool) throws {
        try PPDBCopy.copy(
            objects: chunk.map { ($0.object, $0.isDDF) }, sources: chunk.flatMap(\.sources), forced: chunk.flatMap(\.forcedSources),
            on: connection, freeze: freeze, origin: "synthetic")
        try connection.copyIn(PPDBCopy.truth, freeze: freeze, statement: "copy synthetic truth") { buffer in
            for item in chunk { try PPDBCopy.writeTruth(item.truth, objectId: item.object.diaObjectId, to: buffer) }
        }
    }

    private func generateChunk(from start: Int) -> [SynthObject] {
        let count = min(chunkSize, generator.settings.objects - start)
        guard count > 0 else { return [] }
        let slots = ChunkSlots(count: count)
        let generator = self.generator
        DispatchQueue.concurrentPerform(iterations: count) { offset in
            slots.set(offset, generator.makeObject(start + offset))
        }
        return slots.objects
    }
}

/// The slots `concurrentPerform` fills, one per object.
private final class ChunkSlots: Sendable {
    private let slots: Mutex<[SynthObject?]>
    init(count: Int) { slots = Mutex(Array(repeating: nil, count: count)) }
    func set(_ index: Int, _ object: SynthObject) { slots.withLock { $0[index] = object } }
    var objects: [SynthObject] { slots.withLock { $0.compactMap { $0 } } }
}
