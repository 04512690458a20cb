import Dispatch
import Foundation
import Logging
import Postgres

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
                let nextChunk = ChunkBox()
                // A group, not a work item: it is waited for on every path, and so may be twice.
                let generation = DispatchGroup()
                DispatchQueue.global().async(group: generation) { if next < total { nextChunk.objects = generateChunk(from: next) } }
                // On a throw too: the generator writes into `nextChunk` until it ends.
                defer { generation.wait() }
                try copy(chunk, on: connection, freeze: bulk?.freeze ?? false)
                generation.wait()
                for item in chunk {
                    summary.objects += 1
                    summary.ddfObjects += item.isDDF ? 1 : 0
                    summary.sources += item.sources.count
                    summary.forcedSources += item.forcedSources.count
                }
                start = next
                pending = nextChunk.objects
                logger.info("synth progress", metadata: ["objects": "\(summary.objects)/\(total)", "alerts": "\(summary.sources)"])
            }
            if let bulk {
                logger.info("Building the deferred indexes", metadata: ["indexes": "\(bulk.names.count)"])
                try bulk.finish(on: connection, logger: logger)
            }
        }
        // Fresh statistics, or the sender's first queries are planned for empty tables.
        try connection.query("ANALYZE " + PPDBCopy.tables.joined(separator: ", "), statement: "analyze synthetic tables")
        summary.seconds = (ContinuousClock.now - started) / .seconds(1)
        return summary
    }

    private func copy(_ chunk: [SynthObject], on connection: PostgresConnection, freeze: Bool) throws {
        try connection.copyIn(PPDBCopy.objects, freeze: freeze, statement: "copy synthetic objects") { buffer in
            for item in chunk { try PPDBCopy.write(item.object, isDDF: item.isDDF, to: buffer) }
        }
        try connection.copyIn(PPDBCopy.sources, freeze: freeze, statement: "copy synthetic sources") { buffer in
            for item in chunk { for source in item.sources { try PPDBCopy.write(source, to: buffer) } }
        }
        try connection.copyIn(PPDBCopy.alerts, freeze: freeze, statement: "copy synthetic alerts") { buffer in
            for item in chunk { for source in item.sources { try PPDBCopy.writeAlert(for: source, to: buffer) } }
        }
        try connection.copyIn(PPDBCopy.forcedSources, freeze: freeze, statement: "copy synthetic forced sources") { buffer in
            for item in chunk { for forced in item.forcedSources { try PPDBCopy.write(forced, to: buffer) } }
        }
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

/// Hand-off boxes between the loader's threads; each is written by one thread and read only
/// after that thread's work item was waited for.
private final class ChunkBox: @unchecked Sendable { var objects: [SynthObject] = [] }
private final class ChunkSlots: @unchecked Sendable {
    private var slots: [SynthObject?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ object: SynthObject) { lock.withLock { slots[index] = object } }
    var objects: [SynthObject] { lock.withLock { slots.map { $0! } } }
}
