import Foundation
import Postgres

/// The PostgreSQL server the integration tests share. `scripts/test` starts one and passes its
/// URL in `ELASTICC_TEST_DATABASE_URL`; without it, the first test to ask starts a throwaway
/// cluster through `scripts/pg-cluster` and stops it when the test process exits.
public final class PostgresTestServer: Sendable {
    public static let shared: PostgresTestServer = {
        if let url = ProcessInfo.processInfo.environment["ELASTICC_TEST_DATABASE_URL"] {
            return PostgresTestServer(adminURL: url)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("elasticc-test-pg-\(getpid())").path
        let script = TestEnvironment.packageRoot.appendingPathComponent("scripts/pg-cluster").path
        let url = try! TestEnvironment.run([script, "start", directory]).trimmingCharacters(in: .whitespacesAndNewlines)
        ownedClusterDirectory = directory
        atexit {
            if let directory = PostgresTestServer.ownedClusterDirectory {
                _ = try? TestEnvironment.run([TestEnvironment.packageRoot.appendingPathComponent("scripts/pg-cluster").path, "stop", directory])
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
        return PostgresTestServer(adminURL: url)
    }()

    nonisolated(unsafe) static var ownedClusterDirectory: String?

    public let adminURL: String

    init(adminURL: String) {
        self.adminURL = adminURL
    }

    /// Creates an empty database with a unique name and returns its URL.
    public func makeDatabase(_ prefix: String) throws -> String {
        let name = "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())".replacingOccurrences(of: "-", with: "_")
        let admin = try PostgresConnection(adminURL)
        try admin.execute(script: "CREATE DATABASE \(name)", statement: "create test database")
        return url(forDatabase: name)
    }

    public func url(forDatabase name: String) -> String {
        guard let slash = adminURL.range(of: "/", options: .backwards) else { return adminURL }
        return String(adminURL[..<slash.upperBound]) + name
    }
}

extension PostgresTestServer {
    public static var snapshotPath: String {
        get throws { try TestEnvironment.reference("tom_desc/elasticc2_alertcycle_complete.psqlc").path }
    }
}

/// A PostgreSQL cluster of one test's own, for faults (restarts) the shared server must not see.
public final class PrivatePostgresCluster: Sendable {
    public let adminURL: String
    let directory: String
    static let script = TestEnvironment.packageRoot.appendingPathComponent("scripts/pg-cluster").path

    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("elasticc-private-pg-\(UUID().uuidString.prefix(8))").path
        adminURL = try TestEnvironment.run([Self.script, "start", directory]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit {
        _ = try? TestEnvironment.run([Self.script, "stop", directory])
        try? FileManager.default.removeItem(atPath: directory)
    }

    public func restart() throws {
        try TestEnvironment.run([Self.script, "restart", directory])
    }

    public func makeDatabase(_ name: String) throws -> String {
        let admin = try PostgresConnection(adminURL)
        try admin.execute(script: "CREATE DATABASE \(name)", statement: "create test database")
        guard let slash = adminURL.range(of: "/", options: .backwards) else { return adminURL }
        return String(adminURL[..<slash.upperBound]) + name
    }
}
