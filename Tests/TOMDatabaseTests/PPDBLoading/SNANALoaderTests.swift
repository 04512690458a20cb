import Foundation
import Logging
import PPDBLoading
import Postgres
import TOMDatabase
import TestSupport
import Testing

@Suite("ppdb load-snana against the TOM snapshot", .serialized)
struct SNANALoaderTests {
    static let logger = Logger(label: "snana-tests")

    /// The reference SNANA directories, unpacked once per test run.
    static let directories: [String] = {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("snana-\(getpid())").path
        try! FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        try! TestEnvironment.run([
            "tar", "xjf", try TestEnvironment.reference("tom_desc/elasticc2_alert_test_data.tar.bz2").path, "-C", target,
        ])
        let root = target + "/elasticc2_alert_test_data"
        return try! FileManager.default.contentsOfDirectory(atPath: root).sorted().map { root + "/" + $0 }
    }()

    static let tables: [(name: String, key: String)] = [
        ("elasticc2_ppdbdiaobject", "diaobject_id"), ("elasticc2_ppdbdiasource", "diasource_id"),
        ("elasticc2_ppdbdiaforcedsource", "diaforcedsource_id"), ("elasticc2_ppdbalert", "alert_id"),
        ("elasticc2_diaobjecttruth", "diaobject_id"),
    ]

    /// Every cell as text; numbers that differ must agree to float32 precision.
    static func rows(_ connection: PostgresConnection, _ table: String, _ key: String) throws -> (columns: [String], rows: [[String?]]) {
        let result = try connection.query("SELECT * FROM \(unescaped: table) ORDER BY \(unescaped: key)", statement: "rows of \(table)")
        return (result.columnNames, (0..<result.rowCount).map { row in (0..<result.columnCount).map { result.string(row, $0) } })
    }

    static func agree(_ left: String?, _ right: String?) -> Bool {
        if left == right { return true }
        guard let left, let right, let a = Double(left), let b = Double(right) else { return false }
        return abs(a - b) <= 1e-6 * max(abs(a), abs(b), 1e-30)
    }

    @Test("Loading the three SNANA directories gives exactly the snapshot's rows, every column")
    func matchesSnapshot() throws {
        let loadedURL = try PostgresTestServer.shared.makeDatabase("snana")
        let loaded = try PostgresConnection(loadedURL)
        _ = try Migrator.migrate(loaded, logger: Self.logger)
        let summary = try SNANALoader(connection: loaded, logger: Self.logger).load(directories: Self.directories)
        #expect(summary.objects == 346 && summary.sources == 1862 && summary.forcedSources == 52172 && summary.truthRows == 346)

        let referenceURL = try PostgresTestServer.shared.makeDatabase("snapshotref")
        let reference = try PostgresConnection(referenceURL)
        _ = try Migrator.migrate(reference, logger: Self.logger)
        try SnapshotRestorer.restore(dump: PostgresTestServer.snapshotPath, conninfo: referenceURL, includeBrokerTables: false)
        try PPDBStatistics.resetSent(reference)

        for (table, key) in Self.tables {
            let ours = try Self.rows(loaded, table, key)
            let theirs = try Self.rows(reference, table, key)
            try #require(ours.columns == theirs.columns)
            try #require(ours.rows.count == theirs.rows.count, "\(table) row count")
            var mismatches: [String] = []
            for (mine, expected) in zip(ours.rows, theirs.rows) {
                for (index, column) in ours.columns.enumerated() where !Self.agree(mine[index], expected[index]) {
                    mismatches.append("\(table).\(column) at \(key)=\(expected[0] ?? "?"): \(mine[index] ?? "NULL") vs \(expected[index] ?? "NULL")")
                }
            }
            #expect(mismatches.isEmpty, "\(mismatches.count) cells differ, first: \(mismatches.prefix(5).joined(separator: "; "))")
        }
    }

    @Test("A directory without SNANA files is a clear error")
    func emptyDirectory() throws {
        let connection = try PostgresConnection(try PostgresTestServer.shared.makeDatabase("snanaempty"))
        _ = try Migrator.migrate(connection, logger: Self.logger)
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        #expect(throws: SNANALoader.Failure.self) { try SNANALoader(connection: connection, logger: Self.logger).load(directories: [empty]) }
    }
}
