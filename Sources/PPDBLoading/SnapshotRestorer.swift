import Foundation
import Postgres
import TOMDatabase

/// Restores a TOM database dump (pg_dump custom format, data only) into a migrated database:
/// the PPDB, truth and broker tables, and the identity sequences' positions.
public enum SnapshotRestorer {
    /// The PPDB and truth tables: the ones every loader fills.
    public static let ppdbTables = PPDBCopy.tables
    public static let brokerTables = ["elasticc2_brokerclassifier", "elasticc2_brokermessage", "elasticc2_brokersourceids"]
    /// The TOM's own copies of what brokers answered for (`update-sources` fills them).
    public static let objectTables = ["elasticc2_diaobject", "elasticc2_diasource", "elasticc2_diaforcedsource", "elasticc2_diaobjectinfo"]
    public static let restoredTables = ppdbTables + brokerTables + objectTables
    static let restoredSequences = [
        "elasticc2_brokerclassifier_classifierId_seq", "elasticc2_brokermessage_brokerMessageId_seq", "elasticc2_diaobjectinfo__id_seq",
    ]

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs `pg_restore --data-only` on the dump's entries for our tables, in one transaction so
    /// the deferred foreign keys are checked once everything is in. Without the broker tables
    /// (`--ppdb-only`), the TOM's object tables are left out too: the state before a cycle.
    public static func restore(dump: String, conninfo: String, includeBrokerTables: Bool = true) throws {
        let tables = includeBrokerTables ? restoredTables : ppdbTables
        let sequences = includeBrokerTables ? restoredSequences : []
        let listing = try run([program, "--list", dump])
        let wanted = listing.split(separator: "\n").filter { line in
            guard !line.hasPrefix(";") else { return false }
            let words = line.split(separator: " ")
            if line.contains("TABLE DATA public ") { return words.count >= 7 && tables.contains(String(words[6])) }
            if line.contains("SEQUENCE SET public ") { return words.count >= 7 && sequences.contains(String(words[6])) }
            return false
        }
        let listFile = FileManager.default.temporaryDirectory.appendingPathComponent("elasticc-restore-\(UUID().uuidString).list")
        try (wanted.joined(separator: "\n") + "\n").write(to: listFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: listFile) }
        // The connection goes through the environment: a command line is readable by every user
        // of the machine (/proc/PID/cmdline), and a conninfo may hold the password.
        var connection: [String: String]
        do { connection = try ConninfoEnvironment.variables(for: conninfo) } catch { throw Failure(description: "\(error)") }
        let environment = ProcessInfo.processInfo.environment.merging(connection) { $1 }
        let database = connection["PGDATABASE"] ?? environment["PGDATABASE"] ?? environment["PGUSER"] ?? "postgres"
        connection["PGDATABASE"] = nil
        _ = try run(
            [
                program, "--data-only", "--no-owner", "--single-transaction", "--exit-on-error",
                "-L", listFile.path, "--dbname", database, dump,
            ], environment: connection)
    }

    /// `pg_restore`, or the program `ELASTICC_PG_RESTORE` names (a wrapper, in tests).
    static var program: String { ProcessInfo.processInfo.environment["ELASTICC_PG_RESTORE"] ?? "pg_restore" }

    private static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(arguments[0]) exited \(process.terminationStatus): \(String(decoding: errorData, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
