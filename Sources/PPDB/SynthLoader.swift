import Dispatch
import Foundation
import Logging
import Postgres

/// Streams `SynthGenerator` output into the PPDB through COPY, a chunk of objects at a time:
/// memory stays flat in the number of objects, generation runs on every core, and the forced
/// sources (most of the bytes) go through a second connection alongside the other tables.
public struct SynthLoader {
    public struct Summary: Sendable {
        public var objects = 0
        public var ddfObjects = 0
        public var sources = 0
        public var forcedSources = 0
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
        let main = try PostgresConnection(conninfo, applicationName: "ppdb synth")
        let forcedConnection = try PostgresConnection(conninfo, applicationName: "ppdb synth forced")
        for connection in [main, forcedConnection] { skipForeignKeyTriggers(connection) }
        let started = ContinuousClock.now
        var summary = Summary()
        let total = generator.settings.objects
        var start = 0
        var pending = generateChunk(from: 0)
        while start < total {
            let chunk = pending
            let next = start + chunkSize
            // Make the next chunk while this one is written.
            let nextChunk = ChunkBox()
            let generation = DispatchWorkItem { if next < total { nextChunk.objects = generateChunk(from: next) } }
            DispatchQueue.global().async(execute: generation)

            try main.copyIn(PPDBCopy.objects, statement: "copy synthetic objects") { buffer in
                for item in chunk { try PPDBCopy.write(item.object, isDDF: item.isDDF, to: buffer) }
            }
            let forcedResult = ResultBox()
            let forcedWork = DispatchWorkItem {
                forcedResult.error = Result {
                    try forcedConnection.copyIn(PPDBCopy.forcedSources, statement: "copy synthetic forced sources") { buffer in
                        for item in chunk { for forced in item.forcedSources { try PPDBCopy.write(forced, to: buffer) } }
                    }
                }.failure
            }
            DispatchQueue.global().async(execute: forcedWork)
            try main.copyIn(PPDBCopy.sources, statement: "copy synthetic sources") { buffer in
                for item in chunk { for source in item.sources { try PPDBCopy.write(source, to: buffer) } }
            }
            try main.copyIn(PPDBCopy.alerts, statement: "copy synthetic alerts") { buffer in
                for item in chunk { for source in item.sources { try PPDBCopy.writeAlert(for: source, to: buffer) } }
            }
            try main.copyIn(PPDBCopy.truth, statement: "copy synthetic truth") { buffer in
                for item in chunk { try PPDBCopy.writeTruth(item.truth, objectId: item.object.diaObjectId, to: buffer) }
            }
            forcedWork.wait()
            if let error = forcedResult.error { throw error }
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
        // Fresh statistics, or the sender's first queries are planned for empty tables.
        try main.query("ANALYZE elasticc2_ppdbdiaobject, elasticc2_ppdbdiasource, elasticc2_ppdbdiaforcedsource, elasticc2_ppdbalert, elasticc2_diaobjecttruth",
                       statement: "analyze synthetic tables")
        summary.seconds = (ContinuousClock.now - started) / .seconds(1)
        return summary
    }

    /// Synthetic rows are consistent by construction, so, as `pg_restore --disable-triggers`
    /// does, skip the per-row foreign-key triggers when the role may (superusers only).
    private func skipForeignKeyTriggers(_ connection: PostgresConnection) {
        do {
            try connection.query("SET session_replication_role = replica", statement: "skip foreign-key triggers")
        } catch {
            logger.notice("Foreign-key checks stay on for synth (needs a superuser): loading is slower", metadata: ["error": "\(error)"])
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
private final class ResultBox: @unchecked Sendable { var error: Error? }
private final class ChunkSlots: @unchecked Sendable {
    private var slots: [SynthObject?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ object: SynthObject) { lock.withLock { slots[index] = object } }
    var objects: [SynthObject] { lock.withLock { slots.map { $0! } } }
}

private extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
