import Foundation
import Postgres

/// PostgreSQL's own `pg_restore` and `pg_dump`, run with the connection in their environment:
/// a command line is readable by every user of the machine (/proc/PID/cmdline), and a conninfo
/// may hold the password.
enum PostgresTools {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// An entry of `pg_restore --list`: `ID; TABLEOID OID KIND SCHEMA NAME OWNER`, where KIND is
    /// one word or two (`TABLE DATA`, `SEQUENCE SET`).
    struct ArchiveEntry {
        var line: String
        var kind: String
        var schema: String
        var name: String
    }

    /// The entries of a dump's listing (comments left out).
    static func archiveEntries(_ listing: String) -> [ArchiveEntry] {
        listing.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix(";") else { return nil }
            let words = line.split(separator: " ").map(String.init)
            guard words.count >= 6 else { return nil }
            let twoWords = ["TABLE DATA", "SEQUENCE SET"].contains(words[3] + " " + words[4])
            let at = twoWords ? 5 : 4
            guard words.count > at + 1 else { return nil }
            return ArchiveEntry(
                line: String(line), kind: twoWords ? words[3] + " " + words[4] : words[3], schema: words[at], name: words[at + 1])
        }
    }

    /// `pg_restore`, or the program `ELASTICC_PG_RESTORE` names (a wrapper, in tests).
    static var restoreProgram: String { ProcessInfo.processInfo.environment["ELASTICC_PG_RESTORE"] ?? "pg_restore" }

    /// The conninfo as libpq's environment variables, and the database name on its own (the
    /// tools take it as `--dbname`).
    static func environment(for conninfo: String) throws -> (variables: [String: String], database: String) {
        var variables: [String: String]
        do { variables = try ConninfoEnvironment.variables(for: conninfo) } catch { throw Failure(description: "\(error)") }
        let inherited = ProcessInfo.processInfo.environment
        let database = variables["PGDATABASE"] ?? inherited["PGDATABASE"] ?? variables["PGUSER"] ?? inherited["PGUSER"] ?? "postgres"
        variables["PGDATABASE"] = nil
        return (variables, database)
    }

    /// `pg_restore` of the listed entries of `dump`, in one transaction, stopping at the first error.
    static func restore(listEntries: [String], dump: String, conninfo: String, options: [String] = []) throws {
        let listFile = FileManager.default.temporaryDirectory.appendingPathComponent("elasticc-restore-\(UUID().uuidString).list")
        try (listEntries.joined(separator: "\n") + "\n").write(to: listFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: listFile) }
        let (variables, database) = try environment(for: conninfo)
        _ = try run(
            [restoreProgram, "--no-owner", "--single-transaction", "--exit-on-error"] + options + ["-L", listFile.path, "--dbname", database, dump],
            environment: variables)
    }

    /// `pg_dump` of `tables` in the custom format, without owners or grants.
    static func dump(tables: [String], conninfo: String, output: String) throws {
        let (variables, database) = try environment(for: conninfo)
        _ = try run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-acl", "--file", output] + tables.flatMap { ["--table", "public.\($0)"] }
                + ["--dbname", database], environment: variables)
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
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
