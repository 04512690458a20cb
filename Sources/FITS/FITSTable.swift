import CFitsio

/// An error from CFITSIO, with its status code and message.
public struct FITSError: Error, Sendable, CustomStringConvertible {
    public var status: Int32
    public var operation: String

    public var description: String {
        var text = [CChar](repeating: 0, count: 32)
        ffgerr(status, &text)
        let message = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "FITS \(operation) failed (status \(status)): \(message)"
    }
}

/// The first binary table of a FITS file (gzip-compressed files are read directly), read a
/// whole column at a time.
public final class FITSTable {
    private var file: UnsafeMutablePointer<fitsfile>?
    public let path: String
    public let rowCount: Int
    /// Column numbers (1-based) by name, from one read of the table header: CFITSIO's own
    /// lookup scans every column name on each call, most of the reading time for small files.
    private let columnNumbers: [String: Int32]

    public init(path: String) throws(FITSError) {
        self.path = path
        var status: Int32 = 0
        var handle: UnsafeMutablePointer<fitsfile>?
        ffopentest(CFITSIO_SONAME, &handle, path, READONLY, &status)
        if status == 0 { ffmrhd(handle, 1, nil, &status) }
        guard status == 0, let handle else {
            if handle != nil {
                var ignored: Int32 = 0
                ffclos(handle, &ignored)
            }
            throw FITSError(status: status, operation: "open \(path)")
        }
        // deinit does not run for an init that throws, so the handle is closed here on failure.
        do {
            (rowCount, columnNumbers) = try Self.describe(handle, path: path)
        } catch {
            var ignored: Int32 = 0
            ffclos(handle, &ignored)
            throw error
        }
        file = handle
    }

    /// The table's row count and column numbers by name; the first column of a name wins, as
    /// in CFITSIO's lookup.
    private static func describe(_ handle: UnsafeMutablePointer<fitsfile>, path: String) throws(FITSError) -> (Int, [String: Int32]) {
        var status: Int32 = 0
        var columns: Int32 = 0
        ffgncl(handle, &columns, &status)
        guard status == 0 else { throw FITSError(status: status, operation: "count columns of \(path)") }
        let width = Int(FLEN_VALUE)
        var names = [CChar](repeating: 0, count: max(1, Int(columns)) * width)
        var rows = 0
        var fields: Int32 = 0
        var pcount = 0
        names.withUnsafeMutableBufferPointer { names in
            var pointers: [UnsafeMutablePointer<CChar>?] = (0..<Int(columns)).map { names.baseAddress! + $0 * width }
            ffghbn(handle, columns, &rows, &fields, &pointers, nil, nil, nil, &pcount, &status)
        }
        guard status == 0 else { throw FITSError(status: status, operation: "read the table header of \(path)") }
        var numbers: [String: Int32] = [:]
        for index in 0..<Int(fields) {
            let cell = names[(index * width)..<((index + 1) * width)]
            let name = String(decoding: cell.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if numbers[name] == nil { numbers[name] = Int32(index + 1) }
        }
        return (rows, numbers)
    }

    deinit {
        var status: Int32 = 0
        if let file { ffclos(file, &status) }
    }

    /// The 1-based column number of `name` (exact, case-sensitive), or nil.
    public func column(_ name: String) -> Int32? {
        columnNumbers[name]
    }

    private func requireColumn(_ name: String) throws(FITSError) -> Int32 {
        guard let number = column(name) else { throw FITSError(status: COL_NOT_FOUND, operation: "find column \(name) in \(path)") }
        return number
    }

    public func doubles(_ name: String) throws(FITSError) -> [Double] {
        let number = try requireColumn(name)
        var values = [Double](repeating: 0, count: rowCount)
        var status: Int32 = 0
        var nullValue = Double.nan
        var anyNull: Int32 = 0
        guard rowCount > 0 else { return [] }
        ffgcv(file, TDOUBLE, number, 1, 1, Int64(rowCount), &nullValue, &values, &anyNull, &status)
        guard status == 0 else { throw FITSError(status: status, operation: "read \(name) from \(path)") }
        return values
    }

    public func int64s(_ name: String) throws(FITSError) -> [Int64] {
        let number = try requireColumn(name)
        var values = [Int64](repeating: 0, count: rowCount)
        var status: Int32 = 0
        var nullValue: Int64 = 0
        var anyNull: Int32 = 0
        guard rowCount > 0 else { return [] }
        ffgcv(file, TLONGLONG, number, 1, 1, Int64(rowCount), &nullValue, &values, &anyNull, &status)
        guard status == 0 else { throw FITSError(status: status, operation: "read \(name) from \(path)") }
        return values
    }

    public func strings(_ name: String) throws(FITSError) -> [String] {
        let number = try requireColumn(name)
        var status: Int32 = 0
        var type: Int32 = 0
        var repeatCount = 0
        var width = 0
        ffgtcl(file, number, &type, &repeatCount, &width, &status)
        guard status == 0 else { throw FITSError(status: status, operation: "inspect \(name) in \(path)") }
        let length = max(repeatCount, 1) + 1
        guard rowCount > 0 else { return [] }
        // The whole column in one call, into one buffer of fixed-width cells.
        var cells = [CChar](repeating: 0, count: rowCount * length)
        var nullValue: [CChar] = [0]
        var anyNull: Int32 = 0
        cells.withUnsafeMutableBufferPointer { cells in
            var pointers: [UnsafeMutablePointer<CChar>?] = (0..<rowCount).map { cells.baseAddress! + $0 * length }
            ffgcvs(file, number, 1, 1, Int64(rowCount), &nullValue, &pointers, &anyNull, &status)
        }
        guard status == 0 else { throw FITSError(status: status, operation: "read \(name) from \(path)") }
        return cells.withUnsafeBufferPointer { cells in
            cells.withMemoryRebound(to: UInt8.self) { bytes in
                (0..<rowCount).map { row in
                    // FITS pads strings with blanks; the cell ends at its first NUL.
                    let cell = bytes[(row * length)..<(row * length + length)]
                    var end = cell.firstIndex(of: 0) ?? cell.endIndex
                    var start = cell.startIndex
                    while start < end, bytes[start] == 0x20 { start += 1 }
                    while end > start, bytes[end - 1] == 0x20 { end -= 1 }
                    return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
                }
            }
        }
    }
}
