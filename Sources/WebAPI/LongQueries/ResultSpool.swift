import Foundation
import Postgres

/// A long query's rows on disk, as PostgreSQL's text, while the query runs: pandas decides a
/// column's dtype from all of its values (an integer column with one NULL is written as
/// floats), so the result is written only once every row is in. Writes in pages; holds
/// nothing but a buffer in memory.
final class ResultSpool {
    struct Column {
        var name: String
        var type: UInt32
        /// What pandas' dtype of the column depends on.
        var nulls = 0
        var values = 0
        var anyMicroseconds = false
        var allMidnight = true
    }

    struct TooLarge: Error, CustomStringConvertible {
        var limit: Int64
        var description: String { "the result is larger than \(limit) bytes, the limit here: select fewer rows or columns" }
    }

    private(set) var columns: [Column] = []
    private(set) var rowCount = 0
    private(set) var byteCount: Int64 = 0
    var bytesWritten: Int64 { byteCount + Int64(buffer.count) }
    let url: URL
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private let byteLimit: Int64

    init(url: URL, byteLimit: Int64) throws {
        self.url = url
        self.byteLimit = byteLimit
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = try FileHandle(forWritingTo: url)
        buffer.reserveCapacity(1 << 20)
    }

    deinit { try? handle.close() }

    /// The columns, from the first page of the last statement (before any row).
    func begin(_ result: PostgresResult) {
        columns = zip(result.columnNames, (0..<result.columnCount).map(result.typeOID)).map { Column(name: $0, type: $1) }
    }

    func append(_ page: PostgresResult) throws {
        for row in 0..<page.rowCount {
            for column in columns.indices {
                guard let bytes = page.isNull(row, column) ? nil : try page.textBytes(row, column) else {
                    columns[column].nulls += 1
                    appendLength(-1)
                    continue
                }
                columns[column].values += 1
                if columns[column].type == 1114, bytes.count >= 19 {
                    // `2024-01-02 03:04:05[.ffffff]`: pandas' format for the column depends on these.
                    if bytes.count > 19 { columns[column].anyMicroseconds = true }
                    if bytes.count > 19 || !bytes[11..<19].elementsEqual("00:00:00".utf8) { columns[column].allMidnight = false }
                }
                appendLength(Int32(bytes.count))
                buffer += bytes
            }
            rowCount += 1
        }
        if buffer.count >= 1 << 20 { try flush() }
    }

    func finish() throws {
        try flush()
        try handle.close()
    }

    private func appendLength(_ length: Int32) {
        withUnsafeBytes(of: length.littleEndian) { buffer += $0 }
    }

    private func flush() throws {
        byteCount += Int64(buffer.count)
        guard byteCount <= byteLimit else { throw TooLarge(limit: byteLimit) }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Each row's values as PostgreSQL's text bytes (nil for NULL), in order, read back from the
    /// finished spool; the bytes are valid only during the call.
    func forEachRow(_ body: ([UnsafeRawBufferPointer?]) throws -> Void) throws {
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            var row: [UnsafeRawBufferPointer?] = Array(repeating: nil, count: columns.count)
            for _ in 0..<rowCount {
                for column in columns.indices {
                    let length = Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
                    offset += 4
                    if length < 0 {
                        row[column] = nil
                    } else {
                        row[column] = UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)])
                        offset += length
                    }
                }
                try body(row)
            }
        }
    }
}

/// Buffered writes to a result file.
struct ResultFileWriter {
    private let handle: FileHandle
    private(set) var bytes: [UInt8] = []

    init(url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = try FileHandle(forWritingTo: url)
        bytes.reserveCapacity(1 << 20)
    }

    mutating func write(_ text: String) { bytes += text.utf8 }
    mutating func write(_ data: some Sequence<UInt8>) { bytes += data }
    mutating func write(_ raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }
    mutating func write(byte: UInt8) { bytes.append(byte) }

    mutating func flushIfFull() throws {
        if bytes.count >= 1 << 20 { try flush() }
    }

    mutating func flush() throws {
        try handle.write(contentsOf: bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    mutating func close() throws {
        try flush()
        try handle.synchronize()
        try handle.close()
    }
}
