import Foundation

/// A long query's result in the two formats the TOM's runner offers, written from the spool
/// exactly as its `pandas.DataFrame(rows, columns=columns)` followed by `to_csv()` or
/// `to_pickle()` would (pandas 2, whose CSV spells timestamps `2024-01-02 03:04:05.678000+00:00`).
enum PandasResultFiles {
    enum Format: String, Sendable, CaseIterable {
        case csv, pandas
    }

    static func write(_ spool: ResultSpool, as format: Format, to url: URL) throws {
        switch format {
        case .csv: try writeCSV(spool, to: url)
        case .pandas: try writePickle(spool, to: url)
        }
    }

    // MARK: CSV

    /// `DataFrame.to_csv()`: the index first (its header empty), `\n` line ends, fields quoted
    /// when they hold a comma, quote or line break (quotes doubled), missing values empty.
    static func writeCSV(_ spool: ResultSpool, to url: URL) throws {
        var out = try ResultFileWriter(url: url)
        out.write(([""] + spool.columns.map(\.name)).map(csvField).joined(separator: ","))
        out.write(byte: 10)
        let columns = spool.columns.map(CSVColumn.init)
        var index = 0
        try spool.forEachRow { row in
            out.write(String(index))
            for (column, value) in row.enumerated() {
                out.write(byte: 44)
                // Every dtype writes a missing value (None, NaN, NaT) as nothing.
                if let value { columns[column].write(value, into: &out) }
            }
            out.write(byte: 10)
            index += 1
            try out.flushIfFull()
        }
        try out.close()
    }

    static func csvField(_ text: String) -> String {
        guard text.utf8.contains(where: needsQuotes) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func needsQuotes(_ byte: UInt8) -> Bool { byte == 44 || byte == 34 || byte == 10 || byte == 13 }

    /// How pandas writes a column's values, which depends on the dtype it gave the column; the
    /// common types straight from PostgreSQL's text bytes, the rest through `PythonValue`.
    enum CSVColumn {
        /// Integers of a column without NULLs.
        case verbatim
        case text
        /// An integer column with a missing value is float64 in pandas: 3 is written 3.0.
        case integerAsFloat
        case float
        case bool
        case zonedTimestamp
        /// datetime64[ns]: one format for the whole column, as precise as its finest value.
        case naiveTimestamp(withFraction: Bool, dateOnly: Bool)
        case python(type: UInt32)

        init(_ column: ResultSpool.Column) {
            switch column.type {
            case 20, 21, 23, 26: self = column.nulls > 0 ? .integerAsFloat : .verbatim
            case 700, 701: self = .float
            case 16: self = .bool
            case 25, 1043, 1042, 19, 18, 2950: self = .text
            case 1184: self = .zonedTimestamp
            case 1114: self = .naiveTimestamp(withFraction: column.anyMicroseconds, dateOnly: column.allMidnight)
            default: self = .python(type: column.type)
            }
        }

        func write(_ value: UnsafeRawBufferPointer, into out: inout ResultFileWriter) {
            switch self {
            case .verbatim: out.write(value)
            case .text: Self.writeQuoted(value, into: &out)
            case .integerAsFloat:
                // Python's repr of a whole float below 10^16 is its digits and `.0`.
                if value.count <= 16 {
                    out.write(value)
                    out.write(Self.pointZero)
                } else {
                    out.write(PythonValue.floatRepr(Double(Int64(String(decoding: value, as: UTF8.self)) ?? 0)))
                }
            case .float: Self.writeFloat(value, into: &out)
            case .bool: out.write(value.first == UInt8(ascii: "t") ? "True" : "False")
            case .zonedTimestamp: Self.writeZonedTimestamp(value, into: &out)
            case .naiveTimestamp(let withFraction, let dateOnly):
                let text = String(decoding: value, as: UTF8.self)
                guard let parts = PythonValue.dateTime(text, zoned: false), (1678...2261).contains(parts.year) else {
                    return Self.writePython(text, type: 1114, into: &out)
                }
                let date = PythonValue.isoDate(parts.year, parts.month, parts.day)
                if dateOnly { return out.write(date) }
                let time = PythonValue.pad(parts.hour, 2) + ":" + PythonValue.pad(parts.minute, 2) + ":" + PythonValue.pad(parts.second, 2)
                out.write(date + " " + time + (withFraction ? "." + PythonValue.pad(parts.microsecond, 6) : ""))
            case .python(let type): Self.writePython(String(decoding: value, as: UTF8.self), type: type, into: &out)
            }
        }

        static let pointZero: [UInt8] = Array(".0".utf8)

        static func writeQuoted(_ value: UnsafeRawBufferPointer, into out: inout ResultFileWriter) {
            guard value.contains(where: needsQuotes) else { return out.write(value) }
            out.write(byte: 34)
            for byte in value {
                out.write(byte: byte)
                if byte == 34 { out.write(byte: 34) }
            }
            out.write(byte: 34)
        }

        /// PostgreSQL prints the shortest digits that read back, as Python's repr does; only the
        /// layout differs: PostgreSQL turns to exponents sooner, and leaves whole numbers bare.
        static func writeFloat(_ value: UnsafeRawBufferPointer, into out: inout ResultFileWriter) {
            switch value.first {
            case UInt8(ascii: "N"): return  // NaN: missing
            case UInt8(ascii: "I"): return out.write("inf")
            case UInt8(ascii: "-") where value.count > 1 && value[1] == UInt8(ascii: "I"): return out.write("-inf")
            default: break
            }
            if value.contains(UInt8(ascii: "e")) {
                out.write(PythonValue.floatRepr(Double(String(decoding: value, as: UTF8.self)) ?? .nan))
            } else if value.contains(UInt8(ascii: ".")) {
                out.write(value)
            } else if value.count <= 16 {
                out.write(value)
                out.write(pointZero)
            } else {
                out.write(PythonValue.floatRepr(Double(String(decoding: value, as: UTF8.self)) ?? .nan))
            }
        }

        /// `2024-01-02 03:04:05.678+00` → `2024-01-02 03:04:05.678000+00:00` (pandas' Timestamp).
        static func writeZonedTimestamp(_ value: UnsafeRawBufferPointer, into out: inout ResultFileWriter) {
            let count = value.count
            guard count >= 22, value[4] == 45, value[10] == 32, value[count - 3] == 43, value[count - 2] == 48, value[count - 1] == 48,
                count == 22 || (value[19] == 46 && count <= 29)
            else { return writePython(String(decoding: value, as: UTF8.self), type: 1184, into: &out) }
            out.write(UnsafeRawBufferPointer(rebasing: value[0..<19]))
            if count > 22 {
                out.write(UnsafeRawBufferPointer(rebasing: value[19..<(count - 3)]))
                for _ in (count - 23)..<6 { out.write(byte: 48) }
            }
            out.write("+00:00")
        }

        static func writePython(_ text: String, type: UInt32, into out: inout ResultFileWriter) {
            switch PythonValue(text: text, type: type) {
            case .none: return
            case .float(let number) where number.isNaN: return
            case let value: out.write(csvField(value.pythonStr))
            }
        }
    }

    // MARK: pickle

    /// A pickle (protocol 3) of the call `pandas.DataFrame(rows, None, columns)`, with each row a
    /// tuple of psycopg2's values: pandas infers the dtypes as it did for the TOM's runner, and
    /// the bytes name only `pandas.DataFrame`, `decimal.Decimal` and `datetime`'s types, none of
    /// pandas' internals (which change between its versions).
    static func writePickle(_ spool: ResultSpool, to url: URL) throws {
        var out = try ResultFileWriter(url: url)
        var pickler = Pickler()
        pickler.start(into: &out)
        pickler.global("pandas", "DataFrame", into: &out)
        out.write([PickleOpcode.mark, PickleOpcode.emptyList])
        let types = spool.columns.map(\.type)
        var inBatch = 0
        try spool.forEachRow { row in
            if inBatch == 0 { out.write(byte: PickleOpcode.mark) }
            out.write(byte: PickleOpcode.mark)
            for (column, value) in row.enumerated() {
                guard let value else {
                    out.write(byte: PickleOpcode.none)
                    continue
                }
                // The common types straight from the bytes; the rest through PythonValue.
                let type = types[column]
                switch type {
                case 16: out.write(byte: value.first == UInt8(ascii: "t") ? PickleOpcode.newTrue : PickleOpcode.newFalse)
                case 20, 21, 23,
                    26 where value.count <= 18:
                    Pickler.writeInteger(Self.integer(value) ?? 0, into: &out)
                case 700, 701: Pickler.writeFloat(Self.double(value) ?? .nan, into: &out)
                case 25, 1043, 1042, 19, 18, 2950: Pickler.writeUnicode(value, into: &out)
                default: pickler.write(PythonValue(text: String(decoding: value, as: UTF8.self), type: type), into: &out)
                }
            }
            out.write(byte: PickleOpcode.tuple)
            inBatch += 1
            if inBatch == 1000 {
                out.write(byte: PickleOpcode.appends)
                inBatch = 0
                try out.flushIfFull()
            }
        }
        if inBatch > 0 { out.write(byte: PickleOpcode.appends) }
        out.write(byte: PickleOpcode.none)
        pickler.write(.list(spool.columns.map { .string($0.name) }), into: &out)
        out.write([PickleOpcode.tuple, PickleOpcode.reduce, PickleOpcode.stop])
        try out.close()
    }
}

extension PandasResultFiles {
    /// PostgreSQL's integer text, without a String.
    static func integer(_ text: UnsafeRawBufferPointer) -> Int64? {
        guard let first = text.first else { return nil }
        let negative = first == UInt8(ascii: "-")
        var value: Int64 = 0
        for byte in text.dropFirst(negative ? 1 : 0) {
            guard byte >= 48, byte <= 57 else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) =
                negative ? shifted.subtractingReportingOverflow(Int64(byte - 48)) : shifted.addingReportingOverflow(Int64(byte - 48))
            guard !overflow1, !overflow2 else { return nil }
            value = next
        }
        return text.count > (negative ? 1 : 0) ? value : nil
    }

    /// Python's `float()` of PostgreSQL's float text (NaN and infinities included), correctly
    /// rounded by the C library's `strtod`.
    static func double(_ text: UnsafeRawBufferPointer) -> Double? {
        guard !text.isEmpty, text.count < 64 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: text.count + 1) { buffer in
            for (index, byte) in text.enumerated() { buffer[index] = CChar(bitPattern: byte) }
            buffer[text.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &end)
            return end == buffer.baseAddress! + text.count ? value : nil
        }
    }
}

enum PickleOpcode {
    static let proto: UInt8 = 0x80, stop = UInt8(ascii: "."), mark = UInt8(ascii: "("), tuple = UInt8(ascii: "t")
    static let tuple1: UInt8 = 0x85, tuple2: UInt8 = 0x86, emptyTuple = UInt8(ascii: ")"), reduce = UInt8(ascii: "R")
    static let emptyList = UInt8(ascii: "]"), appends = UInt8(ascii: "e"), emptyDict = UInt8(ascii: "}"), setItems = UInt8(ascii: "u")
    static let none = UInt8(ascii: "N"), newTrue: UInt8 = 0x88, newFalse: UInt8 = 0x89
    static let binInt = UInt8(ascii: "J"), long1: UInt8 = 0x8a, binFloat = UInt8(ascii: "G"), binUnicode = UInt8(ascii: "X")
    static let shortBinBytes = UInt8(ascii: "C"), global = UInt8(ascii: "c"), binPut = UInt8(ascii: "q"), longBinPut = UInt8(ascii: "r")
    static let binGet = UInt8(ascii: "h"), longBinGet = UInt8(ascii: "j")
}

/// Pickle opcodes for `PythonValue`s, written straight into the result file; each global (and
/// the UTC time zone) is written once and fetched from the memo after.
struct Pickler {
    private var memo: [String: UInt32] = [:]

    func start(into out: inout ResultFileWriter) { out.write([PickleOpcode.proto, 3]) }

    mutating func global(_ module: String, _ name: String, into out: inout ResultFileWriter) {
        remembered("\(module).\(name)", into: &out) { out in out.write("c\(module)\n\(name)\n") }
    }

    /// Fetches `key`'s object from the memo, or makes it with `make` and puts it there.
    private mutating func remembered(_ key: String, into out: inout ResultFileWriter, _ make: (inout ResultFileWriter) -> Void) {
        if let index = memo[key] {
            if index < 256 { return out.write([PickleOpcode.binGet, UInt8(index)]) }
            out.write(byte: PickleOpcode.longBinGet)
            return Self.writeLittleEndian(index, into: &out)
        }
        make(&out)
        let index = UInt32(memo.count)
        memo[key] = index
        if index < 256 { return out.write([PickleOpcode.binPut, UInt8(index)]) }
        out.write(byte: PickleOpcode.longBinPut)
        Self.writeLittleEndian(index, into: &out)
    }

    private mutating func utc(into out: inout ResultFileWriter) {
        guard memo["utc"] == nil else { return remembered("utc", into: &out) { _ in } }
        // datetime.timezone(datetime.timedelta()), which is datetime.timezone.utc.
        global("datetime", "timezone", into: &out)
        global("datetime", "timedelta", into: &out)
        remembered("utc", into: &out) { out in out.write([PickleOpcode.emptyTuple, PickleOpcode.reduce, PickleOpcode.tuple1, PickleOpcode.reduce]) }
    }

    mutating func write(_ value: PythonValue, into out: inout ResultFileWriter) {
        switch value {
        case .none: out.write(byte: PickleOpcode.none)
        case .bool(let flag): out.write(byte: flag ? PickleOpcode.newTrue : PickleOpcode.newFalse)
        case .int(let number): Self.writeInteger(number, into: &out)
        case .float(let number): Self.writeFloat(number, into: &out)
        case .string(let text): Self.writeUnicode(text, into: &out)
        case .decimal(let text):
            global("decimal", "Decimal", into: &out)
            Self.writeUnicode(text, into: &out)
            out.write([PickleOpcode.tuple1, PickleOpcode.reduce])
        case .datetime(let parts, let isUTC):
            global("datetime", "datetime", into: &out)
            out.write([
                PickleOpcode.shortBinBytes, 10, UInt8(parts.year >> 8), UInt8(parts.year & 255), UInt8(parts.month), UInt8(parts.day),
                UInt8(parts.hour), UInt8(parts.minute), UInt8(parts.second), UInt8(parts.microsecond >> 16),
                UInt8((parts.microsecond >> 8) & 255), UInt8(parts.microsecond & 255),
            ])
            if isUTC {
                utc(into: &out)
                out.write(byte: PickleOpcode.tuple2)
            } else {
                out.write(byte: PickleOpcode.tuple1)
            }
            out.write(byte: PickleOpcode.reduce)
        case .date(let year, let month, let day):
            global("datetime", "date", into: &out)
            out.write([PickleOpcode.shortBinBytes, 4, UInt8(year >> 8), UInt8(year & 255), UInt8(month), UInt8(day)])
            out.write([PickleOpcode.tuple1, PickleOpcode.reduce])
        case .list(let elements):
            out.write(byte: PickleOpcode.emptyList)
            guard !elements.isEmpty else { return }
            out.write(byte: PickleOpcode.mark)
            for element in elements { write(element, into: &out) }
            out.write(byte: PickleOpcode.appends)
        case .dict(let members):
            out.write(byte: PickleOpcode.emptyDict)
            guard !members.isEmpty else { return }
            out.write(byte: PickleOpcode.mark)
            for (key, member) in members {
                Self.writeUnicode(key, into: &out)
                write(member, into: &out)
            }
            out.write(byte: PickleOpcode.setItems)
        }
    }

    static func writeInteger(_ number: Int64, into out: inout ResultFileWriter) {
        if let small = Int32(exactly: number) {
            out.write(byte: PickleOpcode.binInt)
            withUnsafeBytes(of: small.littleEndian) { out.write($0) }
        } else {
            out.write([PickleOpcode.long1, 8])
            withUnsafeBytes(of: number.littleEndian) { out.write($0) }
        }
    }

    static func writeFloat(_ number: Double, into out: inout ResultFileWriter) {
        out.write(byte: PickleOpcode.binFloat)
        withUnsafeBytes(of: number.bitPattern.bigEndian) { out.write($0) }
    }

    static func writeUnicode(_ utf8: UnsafeRawBufferPointer, into out: inout ResultFileWriter) {
        out.write(byte: PickleOpcode.binUnicode)
        writeLittleEndian(UInt32(utf8.count), into: &out)
        out.write(utf8)
    }

    static func writeUnicode(_ text: String, into out: inout ResultFileWriter) {
        var text = text
        text.withUTF8 { writeUnicode(UnsafeRawBufferPointer($0), into: &out) }
    }

    private static func writeLittleEndian(_ value: UInt32, into out: inout ResultFileWriter) {
        withUnsafeBytes(of: value.littleEndian) { out.write($0) }
    }
}
