import Foundation

/// Paths the tests need: the package root and the shared reference data beside the clone.
public enum TestEnvironment {
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var referenceDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["ELASTICC_REFERENCE_DIR"] {
            return URL(fileURLWithPath: override)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/reference")
    }

    public static func referenceSchema(_ fileName: String) -> URL {
        referenceDirectory.appendingPathComponent("schema").appendingPathComponent(fileName)
    }

    /// Runs python3 with a script from Tests/Interop, feeding `input` on stdin; returns stdout.
    public static func runPython(script: String, arguments: [String], input: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", packageRoot.appendingPathComponent("Tests/Interop/\(script)").path] + arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let writer = Thread {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailure(status: process.terminationStatus, stderr: String(decoding: errors, as: UTF8.self))
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Runs a command and returns its stdout; throws with its stderr when it fails.
    @discardableResult
    public static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailure(status: process.terminationStatus, stderr: "\(arguments.joined(separator: " ")): " + String(decoding: errors, as: UTF8.self))
        }
        return String(decoding: output, as: UTF8.self)
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
    public static func waitUntil(timeout: Duration = .seconds(60), _ what: String = "condition", _ condition: () throws -> Bool) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while try !condition() {
            guard clock.now < deadline else { throw Timeout(description: "\(what) did not hold within \(timeout)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

extension TestEnvironment {
    /// Runs a command, discarding its output; returns its exit status.
    public static func runStatus(_ arguments: [String], environment: [String: String] = [:]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
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
