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

    @Test("The TOM's load_snana_fits command line: a dry run without --do, -d -f -n -s -m -p -z -a, --train into the training tables")
    func tomCommandLine() async throws {
        let url = try PostgresTestServer.shared.makeDatabase("snanacli")
        let connection = try PostgresConnection(url)
        defer { connection.close() }
        _ = try Migrator.migrate(connection, logger: Self.logger)
        let ppdb = TestEnvironment.executable("ppdb")
        // Synchronous reads (the tools run as processes; nothing here needs the pool).
        func value<T: PostgresColumnDecodable>(_ on: PostgresConnection, _ query: PostgresQuery, _ type: T.Type = T.self) throws -> T {
            try on.query(query, statement: "check").single(T.self)
        }
        func count(_ table: String) throws -> Int64 { try value(connection, "SELECT count(*) FROM \(unescaped: table)") }

        // Without --do: every file read and counted, nothing written.
        let dry = try await TestEnvironment.execute([ppdb, "load-snana", "--db", url, "-d"] + Self.directories)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("would load 346 objects, 1862 sources = alerts, 52172 forced sources"), "\(dry.stdout)")
        #expect(try count("elasticc2_ppdbdiaobject") == 0 && count("elasticc2_ppdbdiaforcedsource") == 0)

        // The PPDB with the defaults, and the training tables with wider source ids.
        let loaded = try await TestEnvironment.execute([ppdb, "load-snana", "--db", url, "--ppdb", "--do", "-d"] + Self.directories)
        #expect(loaded.status == 0, "\(loaded.stderr)")
        let trained = try await TestEnvironment.execute(
            [
                ppdb, "load-snana", "--db", url, "--train", "-n", "3", "-s", "training-sim", "-m", "1000000", "-p", "4096", "-z", "27.5", "-a",
                "31.4", "--do", "-d",
            ]
                + Self.directories)
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(try count("elasticc2_trainingdiaobject") == 346 && count("elasticc2_trainingdiasource") == 1862)
        #expect(try count("elasticc2_trainingdiaforcedsource") == 52172 && count("elasticc2_trainingalert") == 1862)
        #expect(try count("elasticc2_trainingdiaobjecttruth") == 346)
        // Forced source i of object o: o × 1,000,000 + i there, o × 100,000 + i in the PPDB; values equal.
        let unmatched = try value(
            connection,
            """
            SELECT count(*) FROM elasticc2_trainingdiaforcedsource t
              LEFT JOIN elasticc2_ppdbdiaforcedsource p
                ON p.diaforcedsource_id = t.diaobject_id * 100000 + t.diaforcedsource_id % 1000000
               AND p.psflux = t.psflux AND p.psfluxerr = t.psfluxerr AND p.midpointtai = t.midpointtai
             WHERE p.diaforcedsource_id IS NULL OR t.diaforcedsource_id / 1000000 <> t.diaobject_id
            """, Int64.self)
        #expect(unmatched == 0)
        #expect(
            try value(connection, "SELECT array_agg(DISTINCT simversion) FROM elasticc2_trainingdiaobject", String.self) == "{training-sim}")

        // -f one file, another zero point and detection bit, indexes kept: a database of its own.
        let otherURL = try PostgresTestServer.shared.makeDatabase("snanacli2")
        let other = try PostgresConnection(otherURL)
        defer { other.close() }
        _ = try Migrator.migrate(other, logger: Self.logger)
        let directory = Self.directories[0]
        // The largest HEAD file: the most objects, so the two PHOTFLAG bits pick different detections.
        let heads = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix("HEAD.FITS.gz") }
        let sizes = try heads.map { try FileManager.default.attributesOfItem(atPath: directory + "/" + $0)[.size] as? Int ?? 0 }
        let head = try #require(zip(heads, sizes).max { $0.1 < $1.1 }?.0)
        let one = try await TestEnvironment.execute(
            [ppdb, "load-snana", "--db", otherURL, "-d", directory, "-f", head, "-z", "28.5", "-p", "2048", "--dont-disable-indexes-fks", "--do"])
        #expect(one.status == 0, "\(one.stderr)")
        let objects = try value(other, "SELECT array_agg(diaobject_id ORDER BY 1)::text FROM elasticc2_ppdbdiaobject", String.self)
        let fromFile = try value(
            connection, "SELECT count(*) FROM elasticc2_ppdbdiaobject WHERE diaobject_id = ANY(\(objects)::bigint[])", Int64.self)
        #expect(fromFile > 0 && fromFile < 346)
        let sampleId = try value(other, "SELECT min(diaforcedsource_id) FROM elasticc2_ppdbdiaforcedsource WHERE psflux > 100", Int64.self)
        let scaled = try value(other, "SELECT psflux FROM elasticc2_ppdbdiaforcedsource WHERE diaforcedsource_id = \(sampleId)", Double.self)
        let original = try value(connection, "SELECT psflux FROM elasticc2_ppdbdiaforcedsource WHERE diaforcedsource_id = \(sampleId)", Double.self)
        // 10^((31.4 − 28.5)/2.5) against 10^((31.4 − 27.5)/2.5): a tenth of a magnitude-step of 2.5.
        #expect(abs(scaled / original - pow(10, -0.4)) < 1e-5)
        let detections = try value(other, "SELECT count(*) FROM elasticc2_ppdbdiasource", Int64.self)
        let detectedWith4096 = try value(
            connection, "SELECT count(*) FROM elasticc2_ppdbdiasource WHERE diaobject_id = ANY(\(objects)::bigint[])", Int64.self)
        // Another PHOTFLAG bit picks other detections.
        #expect(detections != detectedWith4096)
        // -m too small for an object's photometry: refused, naming it, nothing written.
        let tooSmall = try await TestEnvironment.execute([ppdb, "load-snana", "--db", otherURL, "--train", "-m", "10", "--do", "-d", directory])
        #expect(tooSmall.status != 0 && tooSmall.stderr.contains("more than --max-sources-per-object=10"), "\(tooSmall.stderr)")
        #expect(try value(other, "SELECT count(*) FROM elasticc2_trainingdiaobject", Int64.self) == 0)
    }
}
