import Foundation
import Logging
import Postgres
import ServiceLifecycle
import Synchronization

/// What `elasticc-api serve` is told about long queries (`--query-*`, `--long-query-*`).
public struct LongQuerySettings: Sendable {
    /// Queries this server runs at once; 0 leaves running them to other servers on the database.
    public var workers = 1
    /// A query's whole run, statements and fetching.
    public var timeout: Duration = .seconds(86_400)
    /// Where results are kept; servers sharing a queue share this directory (the TOM's
    /// `/query_results` volume).
    public var resultsDirectory: URL
    /// Finished queries and their results are forgotten after this many days.
    public var resultDays: Double = 7
    /// The largest result kept, in bytes of PostgreSQL text.
    public var resultByteLimit: Int64 = 8 << 30
    /// Unfinished queries one user may have queued.
    public var queuedPerUser = 20
    /// How this server names itself in the queue (`runner`).
    public var runnerName: String
    /// How often workers look for queries other servers queued (their own they hear of at once).
    public var pollInterval: Duration = .seconds(2)

    public init(
        resultsDirectory: URL = FileManager.default.temporaryDirectory.appendingPathComponent("elasticc-api-query-results", isDirectory: true),
        runnerName: String = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    ) {
        self.resultsDirectory = resultsDirectory
        self.runnerName = runnerName
    }

    func resultURL(_ id: String, _ format: PandasResultFiles.Format) -> URL {
        resultsDirectory.appendingPathComponent("\(id).\(format == .csv ? "csv" : "pickle")")
    }
}

/// Wakes the workers when a query is queued here (and, from a timer, for queries queued elsewhere).
public final class LongQueryDoorbell: Sendable {
    private let listeners = Mutex<[AsyncStream<Void>.Continuation]>([])

    public init() {}

    func listen() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        continuation.yield()
        listeners.withLock { $0.append(continuation) }
        return stream
    }

    func ring() {
        listeners.withLock { for listener in $0 { listener.yield() } }
    }
}

/// Runs the long-query queue: `settings.workers` workers, each claiming the oldest waiting
/// query, running it as the submitter's read-only role on a connection of its own, and
/// writing the result; plus hourly pruning. Stops on graceful shutdown, putting a running
/// query back in the queue for the next start.
public struct LongQueryWorkers: Service {
    let conninfo: String
    let settings: LongQuerySettings
    let plainQueries: ReadOnlyQueryRunner?
    let adminQueries: ReadOnlyQueryRunner?
    let doorbell: LongQueryDoorbell
    let logger: Logger

    public init(conninfo: String, api: APISettings, doorbell: LongQueryDoorbell, logger: Logger) {
        self.conninfo = conninfo
        self.settings = api.longQueries
        self.plainQueries = api.sqlQueries
        self.adminQueries = api.sqlAdminQueries
        self.doorbell = doorbell
        self.logger = logger
    }

    public func run() async throws {
        try FileManager.default.createDirectory(at: settings.resultsDirectory, withIntermediateDirectories: true)
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for number in 0..<settings.workers {
                    let bell = doorbell.listen()
                    group.addTask { await work(number, bell: bell) }
                }
                group.addTask { await tickAndPrune() }
            }
        }
    }

    private func tickAndPrune() async {
        let clock = ContinuousClock()
        var nextPrune = clock.now
        while !Task.isCancelled {
            if clock.now >= nextPrune {
                await prune()
                nextPrune = clock.now + .seconds(3600)
            }
            doorbell.ring()
            try? await Task.sleep(for: settings.pollInterval)
        }
    }

    /// Forgets old queries and removes their results.
    func prune() async {
        do {
            let connection = try await PostgresConnection.open(conninfo, applicationName: "elasticc-api long queries")
            defer { connection.close() }
            let days = settings.resultDays
            let pruned = try await connection.run { connection in try LongQueryQueue.prune(olderThanDays: days, on: connection) }
            for id in pruned {
                for format in PandasResultFiles.Format.allCases { try? FileManager.default.removeItem(at: settings.resultURL(id, format)) }
            }
            if !pruned.isEmpty { logger.info("Pruned old long queries", metadata: ["count": "\(pruned.count)", "days": "\(days)"]) }
        } catch {
            logger.warning("Pruning long queries failed; will retry", metadata: ["error": "\(error)"])
        }
    }

    private func work(_ number: Int, bell: AsyncStream<Void>) async {
        var holder: PostgresConnection?
        defer { holder?.close() }
        for await _ in bell {
            while !Task.isCancelled {
                do {
                    if holder?.isConnected != true {
                        holder?.close()
                        holder = try await PostgresConnection.open(conninfo, applicationName: "elasticc-api long queries")
                    }
                    guard let connection = holder else { break }
                    let runner = settings.runnerName
                    guard let job = try await connection.run({ connection in try LongQueryQueue.claim(runner: runner, on: connection) }) else {
                        break
                    }
                    logger.info(
                        "Running a long query", metadata: ["query": "\(job.id)", "user": "\(job.username)", "attempt": "\(job.attempt)"])
                    let outcome = await execute(job)
                    let recorded = try await connection.run { connection in try LongQueryQueue.end(job, outcome, on: connection) }
                    logger.info(
                        "Long query ended",
                        metadata: ["query": "\(job.id)", "outcome": "\(outcome)", "recorded": "\(recorded)", "worker": "\(number)"])
                    // Put back: try again at the next tick rather than at once.
                    if case .requeued = outcome { break }
                } catch {
                    if !Task.isCancelled {
                        logger.warning("Long-query worker lost its database connection; will retry", metadata: ["error": "\(error)"])
                    }
                    holder?.close()
                    holder = nil
                    break
                }
            }
        }
    }

    /// Why a run stopped early.
    struct Stopped: Error, CustomStringConvertible {
        var description: String
    }

    func execute(_ job: LongQueryQueue.Job) async -> LongQueryQueue.Outcome {
        guard let runner = job.adminScope ? adminQueries ?? plainQueries : plainQueries else {
            return .failed("long queries are not configured here (elasticc-api serve --sql-query-db)")
        }
        let statements: [ReadOnlyQueryRunner.PreparedStatement]
        switch runner.prepare(job.request) {
        case .success(let prepared): statements = prepared
        case .failure(let refusal): return .failed(refusal.message)
        }
        let directory = settings.resultsDirectory
        removeLeftovers(of: job.id)
        let spoolURL = directory.appendingPathComponent("\(job.id).run\(job.attempt).spool")
        let partialURL = directory.appendingPathComponent("\(job.id).run\(job.attempt).partial")
        defer {
            try? FileManager.default.removeItem(at: spoolURL)
            try? FileManager.default.removeItem(at: partialURL)
        }
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.open(runner.conninfo, applicationName: "long query \(job.username)")
        } catch {
            // The role's connection limit reached, or the database restarting: not the query's fault.
            logger.warning("Long query put back: can't connect as the query role", metadata: ["query": "\(job.id)", "error": "\(error.message)"])
            return .requeued
        }
        defer { connection.close() }
        let timeout = settings.timeout
        let sessionSettings = ReadOnlyQueryRunner.sessionSettings(timeout: timeout, lockTimeout: runner.lockTimeout, limits: runner.limits)
        let byteLimit = settings.resultByteLimit
        let format = job.format
        let finalURL = settings.resultURL(job.id, format)
        let stop = StopFlag()
        do {
            let size = try await withThrowingTaskGroup(of: Int64?.self) { group in
                group.addTask {
                    try await withTaskCancellationHandler {
                        try await connection.run { connection in
                            let spool = try ResultSpool(url: spoolURL, byteLimit: byteLimit)
                            try Self.runStatements(statements, settings: sessionSettings, into: spool, stop: stop, on: connection)
                            try spool.finish()
                            try PandasResultFiles.write(spool, as: format, to: partialURL)
                            try? FileManager.default.removeItem(at: finalURL)
                            try FileManager.default.moveItem(at: partialURL, to: finalURL)
                            let attributes = try FileManager.default.attributesOfItem(atPath: finalURL.path)
                            return (attributes[.size] as? NSNumber)?.int64Value ?? 0
                        }
                    } onCancel: {
                        stop.set()
                    }
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                guard let first else { throw ReadOnlyQueryRunner.TimedOut() }
                return first
            }
            return .finished(resultBytes: size)
        } catch is ReadOnlyQueryRunner.TimedOut {
            return .failed("the query ran longer than \(timeout.components.seconds) s (--long-query-timeout) and was cancelled")
        } catch {
            if Task.isCancelled { return .requeued }
            switch error {
            case let error as PostgresError where error.isCancellation:
                return .failed("the query was cancelled (statement timeout)")
            case let error as PostgresError: return .failed("\(error.statement): \(error.message)")
            case let error as CustomStringConvertible: return .failed(error.description)
            default: return .failed("\(error)")
            }
        }
    }

    /// Files of earlier runs of the query, on a server that died.
    private func removeLeftovers(of id: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: settings.resultsDirectory.path)) ?? []
        for name in names where name.hasPrefix("\(id).run") {
            try? FileManager.default.removeItem(at: settings.resultsDirectory.appendingPathComponent(name))
        }
    }

    /// The blocking part, on the query connection's thread: every statement in one transaction
    /// (read-only unless it works on temporary tables), always rolled back; the last one's rows
    /// through a cursor into the spool, page by page.
    static func runStatements(
        _ statements: [ReadOnlyQueryRunner.PreparedStatement], settings: [String], into spool: ResultSpool, stop: StopFlag,
        on connection: PostgresConnection
    ) throws {
        let writes = statements.contains { $0.kind.writes }
        try connection.query(writes ? "BEGIN" : "BEGIN READ ONLY", statement: "begin")
        defer { if connection.transactionStatus != .idle { _ = try? connection.query("ROLLBACK", statement: "rollback") } }
        for setting in settings { try connection.query(PostgresQuery(unescaped: setting), statement: "limit the session") }
        for (index, statement) in statements.enumerated() {
            guard !stop.isSet else { throw CancellationError() }
            let isLast = index == statements.count - 1
            let label = "query \(index + 1)"
            guard statement.kind == .query else {
                let result = try connection.query(statement.query, statement: label)
                try ReadOnlyQueryRunner.requireOurTransaction(connection, after: label)
                if isLast {
                    guard result.columnCount > 0 else {
                        throw Stopped(description: "\(label), the last, returns no rows; end the list with a SELECT")
                    }
                    spool.begin(result)
                    try spool.append(result)
                }
                continue
            }
            try connection.query(
                PostgresQuery(sql: "DECLARE elasticc_query_rows NO SCROLL CURSOR FOR " + statement.query.sql, bindings: statement.query.bindings),
                statement: label)
            try ReadOnlyQueryRunner.requireOurTransaction(connection, after: label)
            if isLast {
                var pageRows = 1000
                var first = true
                while true {
                    guard !stop.isSet else { throw CancellationError() }
                    let page = try connection.query(
                        PostgresQuery(unescaped: "FETCH FORWARD \(pageRows) FROM elasticc_query_rows"), statement: label)
                    if first {
                        spool.begin(page)
                        first = false
                    }
                    let before = spool.bytesWritten
                    try spool.append(page)
                    if page.rowCount < pageRows { break }
                    // Pages of about a megabyte, whatever the rows' width.
                    let bytesPerRow = max(1, Int(spool.bytesWritten - before) / max(1, page.rowCount))
                    pageRows = max(1, min(10_000, (1 << 20) / bytesPerRow))
                }
            } else {
                try connection.query("MOVE FORWARD ALL IN elasticc_query_rows", statement: label)
            }
            try connection.query("CLOSE elasticc_query_rows", statement: label)
        }
    }
}

/// Set when a run is cancelled, read between statements and pages on the connection's thread.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }
}
