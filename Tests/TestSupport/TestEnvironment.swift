import BlockingWork
import Foundation

/// Paths the tests need: the package root and the shared reference data beside the clone.
public enum TestEnvironment {
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `ELASTICC_REFERENCE_DIR`, else `../shared/reference` beside the clone.
    public static var referenceDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["ELASTICC_REFERENCE_DIR"] {
            return URL(fileURLWithPath: override)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/reference")
    }

    /// A reference file the tests read; a missing one fails the test that needs it with a
    /// sentence saying which public file to put where.
    public static func reference(_ relativePath: String) throws -> URL {
        let url = referenceDirectory.appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else { throw MissingReference(path: url.path) }
        return url
    }

    public struct MissingReference: Error, CustomStringConvertible {
        public var path: String
        public var description: String {
            """
            reference data missing: \(path) does not exist. Put the public reference files in ../shared/reference beside the \
            clone, or set ELASTICC_REFERENCE_DIR to their folder: schema/*.avsc (the ELAsTiCC v0_9_1 and v0_9 Avro schemas, \
            LSSTDESC/elasticc alert_schema), tom_elasticc2_schema.sql and tom_desc/ (LSSTDESC/tom_desc: tom_client.py, \
            admin_tools/, and its test data elasticc2_alertcycle_complete.psqlc, elasticc2_dump_10obj.sql, \
            elasticc2_alert_test_data.tar.bz2)
            """
        }
    }

    /// `execute` for async callers: the wait for the child runs on a thread of its own, so a
    /// test never holds one of the cooperative pool's two threads while a child runs (other
    /// tests' Kafka consumers would miss their heartbeats and polls meanwhile).
    public static func execute(
        _ arguments: [String], environment: [String: String] = [:], input: String? = nil
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await BlockingExecutor(label: "test child process").run { try execute(arguments, environment: environment, input: input) }
    }

    @discardableResult
    public static func run(_ arguments: [String], environment: [String: String]? = nil, input: String? = nil) async throws -> String {
        try await BlockingExecutor(label: "test child process").run { try run(arguments, environment: environment, input: input) }
    }

    public static func runPython(script: String, arguments: [String], input: String) async throws -> String {
        try await BlockingExecutor(label: "test child process").run { try runPython(script: script, arguments: arguments, input: input) }
    }

    public static func runStatus(_ arguments: [String], environment: [String: String] = [:]) async throws -> Int32 {
        try await BlockingExecutor(label: "test child process").run { try runStatus(arguments, environment: environment) }
    }

    /// Runs python3 with a script from Tests/Interop, feeding `input` on stdin; returns stdout.
    public static func runPython(script: String, arguments: [String], input: String) throws -> String {
        try run(["python3", packageRoot.appendingPathComponent("Tests/Interop/\(script)").path] + arguments, input: input)
    }

    /// Runs a command and returns its stdout; throws with its stderr when it fails.
    @discardableResult
    public static func run(_ arguments: [String], environment: [String: String]? = nil, input: String? = nil) throws -> String {
        let outcome = try execute(arguments, environment: environment ?? [:], input: input)
        guard outcome.status == 0 else {
            throw CommandFailure(status: outcome.status, stderr: "\(arguments.joined(separator: " ")): " + outcome.stderr)
        }
        return outcome.stdout
    }

    /// Runs a command to its end: exit status, stdout and stderr. The one way tests run a
    /// short-lived command (`launch` starts a long-lived one).
    public static func execute(
        _ arguments: [String], environment: [String: String] = [:], input: String? = nil
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = launch(arguments, environment: environment)
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        if let input {
            // A thread of its own: a large input must not wait for us to drain the outputs.
            // A child that exits before reading it all is its own failure, reported by its status.
            let writer = Thread {
                try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
                try? stdin.fileHandleForWriting.close()
            }
            writer.start()
        }
        let errors = ReadAll(stderr.fileHandleForReading)
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors.wait(), as: UTF8.self))
    }

    /// A process for `arguments` (a path, or a name looked up on PATH) with the environment
    /// merged over ours; the caller sets its pipes and runs it.
    public static func launch(_ arguments: [String], environment: [String: String] = [:]) -> Process {
        ignoreBrokenPipes
        let process = Process()
        if arguments[0].hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: arguments[0])
            process.arguments = Array(arguments.dropFirst())
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        return process
    }

    /// A write to a child that has gone (a Python peer that failed) must fail that write, not
    /// end the whole test process with SIGPIPE.
    private static let ignoreBrokenPipes: Void = {
        signal(SIGPIPE, SIG_IGN)
    }()

    /// A new file in the temporary directory holding `text`; returns its path.
    public static func temporaryFile(_ text: String, prefix: String = "test") throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    public struct CommandFailure: Error, CustomStringConvertible {
        var status: Int32
        var stderr: String
        public var description: String { "command exited \(status): \(stderr)" }
    }
}

extension Array where Element == UInt8 {
    public var hex: String { map { String(format: "%02x", $0) }.joined() }

    public init?(hex: String) {
        guard hex.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.count / 2)
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self = bytes
    }
}

extension TestEnvironment {
    /// A built executable of this package (scripts/test builds them before the tests run).
    public static func executable(_ name: String) -> String {
        let release = packageRoot.appendingPathComponent(".build/release/\(name)").path
        let debug = packageRoot.appendingPathComponent(".build/debug/\(name)").path
        if let override = ProcessInfo.processInfo.environment["ELASTICC_BIN_DIR"] { return override + "/" + name }
        return FileManager.default.isExecutableFile(atPath: debug) ? debug : release
    }
}

extension TestEnvironment {
    public struct Timeout: Error, CustomStringConvertible {
        public var description: String
    }

    /// Checks `condition` every 20 ms until it holds; throws when `timeout` passes first.
    public static func waitUntil(timeout: Duration = .seconds(60), _ what: String = "condition", _ condition: () async throws -> Bool) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while try await !condition() {
            guard clock.now < deadline else { throw Timeout(description: "\(what) did not hold within \(timeout)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

extension TestEnvironment {
    /// Runs a command, discarding its output; returns its exit status.
    public static func runStatus(_ arguments: [String], environment: [String: String] = [:]) throws -> Int32 {
        try execute(arguments, environment: environment).status
    }
}

/// Reads a pipe to its end on a thread of its own, so two pipes drain at once.
public final class ReadAll: @unchecked Sendable {
    // `data` is written by the reading thread before `done` is signalled and read only after.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    public init(_ handle: FileHandle) {
        let thread = Thread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
        thread.start()
    }

    public func wait() -> Data {
        done.wait()
        return data
    }
}

extension TestEnvironment {
    /// `waitUntil` on the calling thread, for timing-sensitive steps (killing a process mid-run):
    /// it needs no free thread from the cooperative pool, which busy neighbours may hold.
    public static func waitUntilBlocking(timeout: Duration = .seconds(60), _ what: String = "condition", _ condition: () throws -> Bool) throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while try !condition() {
            guard clock.now < deadline else { throw Timeout(description: "\(what) did not hold within \(timeout)") }
            usleep(20_000)
        }
    }
}
