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

    public init(path: String) throws(FITSError) {
        self.path = path
        var status: Int32 = 0
        var handle: UnsafeMutablePointer<fitsfile>?
        ffopentest(CFITSIO_SONAME, &handle, path, READONLY, &status)
        if status == 0 { ffmrhd(handle, 1, nil, &status) }
        guard status == 0, let handle else {
            if handle != nil { var ignored: Int32 = 0; ffclos(handle, &ignored) }
            throw FITSError(status: status, operation: "open \(path)")
        }
        file = handle
        var rows = 0
        ffgnrw(handle, &rows, &status)
        guard status == 0 else { throw FITSError(status: status, operation: "count rows of \(path)") }
        rowCount = rows
    }

    deinit {
        var status: Int32 = 0
        if let file { ffclos(file, &status) }
    }

    /// The 1-based column number of `name` (exact, case-sensitive), or nil.
    public func column(_ name: String) -> Int32? {
        var status: Int32 = 0
        var number: Int32 = 0
        var template = Array(name.utf8CString)
        ffgcno(file, CASESEN, &template, &number, &status)
        return status == 0 ? number : nil
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
        var result: [String] = []
        result.reserveCapacity(rowCount)
        var buffer = [CChar](repeating: 0, count: length)
        var nullValue: [CChar] = [0]
        for row in 0..<rowCount {
            var anyNull: Int32 = 0
            let read: Int32 = buffer.withUnsafeMutableBufferPointer { cells in
                var pointer: UnsafeMutablePointer<CChar>? = cells.baseAddress
                var localStatus: Int32 = 0
                ffgcvs(file, number, Int64(row + 1), 1, 1, &nullValue, &pointer, &anyNull, &localStatus)
                return localStatus
            }
            guard read == 0 else { throw FITSError(status: read, operation: "read \(name) row \(row + 1) from \(path)") }
            result.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).trimmingCharacters(in: " "))
        }
        return result
    }
}

private extension String {
    func trimmingCharacters(in character: Character) -> String {
        var text = Substring(self)
        while text.first == character { text.removeFirst() }
        while text.last == character { text.removeLast() }
        return String(text)
    }
}
