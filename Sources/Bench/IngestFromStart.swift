import ArgumentParser
import AvroSchemas
import Foundation
import Kafka
import Postgres
import TOMDatabase

/// broker-poll as a user runs it: the real executable started against a backlog, timed from
/// its process start to the last row committed, beside PostgreSQL's own floor for the same
/// rows (one backend's binary COPY into the same table, the same indexes), runs timed alike.
///
/// The last row committed is seen through broker-poll's offsets, which it commits in the same
/// transaction as the rows: the bench reads them every 5 ms on its own session.
struct IngestFromStart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest-from-start",
        abstract: "broker-poll from process start against a backlog, and a binary COPY of the same rows for the floor.")
    @Option(help: "Kafka bootstrap servers.") var bootstrap: String
    @Option(help: "Topic to fill with broker messages (create it with the partitions wanted).") var topic: String
    @Option(
        help:
            "Migrated PostgreSQL database of a throwaway cluster (as superuser: the floor's COPY writes a file in its data directory); its broker tables are emptied before each run."
    )
    var db: String
    @Option(help: "The broker-poll executable.") var brokerPoll: String
    @Option(help: "Messages in the backlog: 1 to 25 classifications each, one in 20,000 malformed.") var messages = 200_000
    @Option(
        help:
            "Messages for each source, one a classifier: the TOM's alert-cycle data has 3 (1,950 messages for 650 sources), brokers answering the same alert."
    )
    var classifiersPerSource = 3
    @Option(help: "Runs; the figures are their median, min and max.") var runs = 3
    @Option(help: "broker-poll's --batch-size.") var batchSize = 10_000
    @Option(help: "broker-poll's --store-sessions (its default if left out).") var storeSessions: Int?
    @Flag(help: "Join a consumer group instead of taking the partitions (--instances 1).") var group = false
    @Flag(help: "Keep the rows the table holds (each run's own are deleted after it); no floor is timed.") var keepRows = false
    @Option(help: "Write the figures as JSON here.") var json: String?

    struct Run: Codable {
        var fromStartSeconds: Double
        var toFirstCommitSeconds: Double
        var steadyPerSecond: Double
        var rows: Int
        var floorSeconds: Double
        var peakResidentMegabytes: Double
    }

    struct Figures: Codable {
        var messages: Int
        var rows: Int
        var runs: [Run]
        var fromStartPerSecond: Spread
        var steadyPerSecond: Spread
        var toFirstCommitSeconds: Spread
        var floorRowsPerSecond: Spread
        var fromStartOfFloor: Double
        var steadyOfFloor: Double
        var peakResidentMegabytes: Double
    }

    func run() async throws {
        let perSource = classifiersPerSource
        try await PipelineBenchmarks.fill(topic, bootstrap: bootstrap, count: messages) { Self.message($0, classifiersPerSource: perSource) }
        // The backlog broker-poll finds: what this fill added, and anything an earlier one left.
        let (backlog, end) = try await backlog()
        let messages = backlog
        let session = try PostgresConnection(db)
        let kept = try await session.query("SELECT coalesce(max(brokermessage_id), 0) FROM elasticc2_brokermessage", statement: "rows kept")
            .single(Int64.self)
        var results: [Run] = []
        for number in 0..<runs {
            try empty(session, keepingThrough: keepRows ? kept : nil)
            results.append(try await timeBrokerPoll(session, group: "bench-from-start-\(UUID().uuidString)", backlog: backlog, end: end))
            if !keepRows { results[number].floorSeconds = try timeFloor(session) }
            let last = results[number]
            print(
                String(
                    format:
                        "  run %d: %.2f s from process start (%.0f messages/s), first commit after %.2f s, steady %.0f/s; floor COPY %.2f s (%.0f rows/s)",
                    number + 1, last.fromStartSeconds, Double(messages) / last.fromStartSeconds, last.toFirstCommitSeconds,
                    last.steadyPerSecond, last.floorSeconds, last.floorSeconds > 0 ? Double(last.rows) / last.floorSeconds : 0))
        }
        if keepRows { try empty(session, keepingThrough: kept) }
        let fromStart = Spread(results.map { Double(messages) / $0.fromStartSeconds })
        let steady = Spread(results.map(\.steadyPerSecond))
        let floor = Spread(results.map { $0.floorSeconds > 0 ? Double($0.rows) / $0.floorSeconds : 0 })
        let rowsPerMessage = Double(results[0].rows) / Double(max(messages, 1))
        let figures = Figures(
            messages: messages, rows: results[0].rows, runs: results, fromStartPerSecond: fromStart, steadyPerSecond: steady,
            toFirstCommitSeconds: Spread(results.map(\.toFirstCommitSeconds)), floorRowsPerSecond: floor,
            fromStartOfFloor: floor.median > 0 ? fromStart.median * rowsPerMessage / floor.median : 0,
            steadyOfFloor: floor.median > 0 ? steady.median * rowsPerMessage / floor.median : 0,
            peakResidentMegabytes: results.map(\.peakResidentMegabytes).max() ?? 0)
        print(
            String(
                format:
                    "ingest from process start (%@): %d messages, %d rows: %.0f messages/s (%.0f-%.0f), steady %.0f/s; floor %.0f rows/s: %.2f of the floor from start, %.2f steady; peak RSS %.0f MB",
                group ? "consumer group" : "--instances 1", messages, figures.rows, fromStart.median, fromStart.min, fromStart.max,
                steady.median, floor.median, figures.fromStartOfFloor, figures.steadyOfFloor, figures.peakResidentMegabytes))
        try write(figures, to: json)
    }

    /// Broker messages as brokers send them: 1 to 25 classifications, a malformed one now and
    /// then, each source answered by `classifiersPerSource` classifiers one after the other.
    @Sendable static func message(_ index: Int, classifiersPerSource: Int) -> [UInt8] {
        if index % 20_000 == 19_999 { return [0xFF, 0x01, 0x02] }
        let classes = 1 + index % 25
        let source = Int64(index / max(classifiersPerSource, 1))
        return AvroCodec.encode(
            BrokerClassification(
                alertId: source, diaSourceId: source, elasticcPublishTimestamp: 1_700_000_000_000 + source,
                brokerIngestTimestamp: 1_700_000_000_500 + Int64(index), brokerName: "BenchBroker", brokerVersion: "1.0",
                classifierName: "Classifier\(index % max(classifiersPerSource, 1))", classifierParams: "bench",
                classifications: (0..<classes).map { .init(classId: 2222 + Int32($0), probability: 1 / Float(classes)) }))
    }

    /// Empties the broker tables, or (`keepingThrough`) deletes only the rows a run added.
    private func empty(_ session: PostgresConnection, keepingThrough kept: Int64?) throws {
        if let kept {
            try session.query("DELETE FROM elasticc2_brokermessage WHERE brokermessage_id > \(kept)", statement: "delete a run's rows")
            try session.execute(
                script: "TRUNCATE elasticc2_brokersourceids, \(OwnTables.kafkaOffset), \(OwnTables.deadLetter)", statement: "empty the rest")
        } else {
            try session.execute(
                script: """
                    TRUNCATE elasticc2_brokermessage, elasticc2_brokersourceids, elasticc2_brokerclassifier,
                             \(OwnTables.kafkaOffset), \(OwnTables.deadLetter) RESTART IDENTITY CASCADE
                    """, statement: "empty the broker tables")
        }
        try session.execute(script: "VACUUM ANALYZE elasticc2_brokermessage", statement: "vacuum")
        try session.execute(script: "CHECKPOINT", statement: "checkpoint")
    }

    /// Messages on the topic, and the sum of its partitions' high watermarks.
    private func backlog() async throws -> (messages: Int, end: Int) {
        let reader = try ProcessFromStart.watermarkReader(bootstrap: bootstrap)
        guard let size = try await ProcessFromStart.size(of: topic, asking: reader) else { throw BenchError("topic \(topic) not found") }
        await reader.close()
        return size
    }

    private func timeBrokerPoll(_ session: PostgresConnection, group groupId: String, backlog messages: Int, end: Int) async throws -> Run {
        let timing = try await ProcessFromStart.run(
            executable: brokerPoll,
            arguments: ["--server", bootstrap, "--topic", topic, "--group-id", groupId, "--db", db, "--batch-size", String(batchSize)]
                + ["--log-level", "warning"] + (group ? [] : ["--instances", "1"]) + (storeSessions.map { ["--store-sessions", String($0)] } ?? []),
            target: end
        ) {
            // The offsets are committed with the rows: when they reach the end, so have the rows.
            try await session.query(
                "SELECT coalesce(sum(next_offset), 0)::bigint FROM \(unescaped: OwnTables.kafkaOffset) WHERE topic = \(topic)",
                statement: "stored offsets"
            ).single(Int.self)
        }
        let rows = try await session.query(
            "SELECT count(*)::bigint FROM elasticc2_brokermessage WHERE topicname = \(topic)", statement: "rows stored"
        ).single(Int.self)
        // Offsets are absolute: from the first commit seen to the end is what came after it.
        return Run(
            fromStartSeconds: timing.seconds, toFirstCommitSeconds: timing.firstProgressSeconds, steadyPerSecond: timing.steadyRate(total: end),
            rows: rows, floorSeconds: 0, peakResidentMegabytes: timing.peakResidentMegabytes)
    }

    /// The stored rows out in binary, the table emptied, and the same rows in again by one COPY.
    private func timeFloor(_ session: PostgresConnection) throws -> Double {
        // A file in the server's data directory: the server writes and reads it itself.
        let directory = try session.query("SHOW data_directory", statement: "data directory").single(String.self)
        // COPY takes no parameter for its file: a quoted literal of the server's own path.
        let file = "'" + (directory + "/elasticc_bench_floor.bin").replacingOccurrences(of: "'", with: "''") + "'"
        // The columns broker-poll writes: the table numbers the rows itself, as for broker-poll.
        let columns = """
            streammessage_id, topicname, alert_id, diasource_id, msghdrtimestamp, descingesttimestamp,
            elasticcpublishtimestamp, brokeringesttimestamp, classifier_id, classid, probability
            """
        try session.execute(
            script: "COPY (SELECT \(columns) FROM elasticc2_brokermessage ORDER BY brokermessage_id) TO \(file) (FORMAT binary)",
            statement: "save the rows")
        try session.execute(script: "TRUNCATE elasticc2_brokermessage RESTART IDENTITY", statement: "empty for the floor")
        try session.execute(script: "CHECKPOINT", statement: "checkpoint")
        let start = ContinuousClock.now
        try session.execute(script: "COPY elasticc2_brokermessage (\(columns)) FROM \(file) (FORMAT binary)", statement: "floor COPY")
        return (ContinuousClock.now - start) / .seconds(1)
    }
}

/// Median, min and max of a few runs.
struct Spread: Codable {
    var median: Double
    var min: Double
    var max: Double

    init(_ values: [Double]) {
        let sorted = values.sorted()
        median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        min = sorted.first ?? 0
        max = sorted.last ?? 0
    }
}
