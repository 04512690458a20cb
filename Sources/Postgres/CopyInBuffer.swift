/// Builds rows in PostgreSQL's COPY text format and hands them to the server in large chunks.
public final class CopyInBuffer {
    private var bytes: [UInt8] = []
    private var rowHasField = false
    public private(set) var rowCount = 0
    private let flushThreshold: Int
    private let sink: ([UInt8]) throws(PostgresError) -> Void

    init(flushThreshold: Int = 1 << 20, sink: @escaping ([UInt8]) throws(PostgresError) -> Void) {
        self.flushThreshold = flushThreshold
        self.sink = sink
        bytes.reserveCapacity(flushThreshold + 4096)
    }

    @inline(__always)
    private func separator() {
        if rowHasField { bytes.append(9) } else { rowHasField = true }
    }

    public func appendNull() {
        separator()
        bytes.append(contentsOf: [92, 78])  // \N
    }

    public func append(_ value: Int64) {
        separator()
        appendDecimal(value)
    }

    public func append(_ value: Int64?) {
        guard let value else { return appendNull() }
        append(value)
    }

    public func append(_ value: Int32) { append(Int64(value)) }

    public func append(_ value: Double) {
        separator()
        bytes.append(contentsOf: PostgresText.double(value).utf8)
    }

    public func append(_ value: Float) {
        separator()
        bytes.append(contentsOf: PostgresText.real(value).utf8)
    }

    public func append(_ value: Float?) {
        guard let value else { return appendNull() }
        append(value)
    }

    public func append(_ value: Bool) {
        separator()
        bytes.append(value ? UInt8(ascii: "t") : UInt8(ascii: "f"))
    }

    public func append(_ value: String) {
        separator()
        for byte in value.utf8 {
            switch byte {
            case 92: bytes.append(contentsOf: [92, 92])
            case 9: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
            case 10: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
            case 13: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
            default: bytes.append(byte)
            }
        }
    }

    public func append(_ value: String?) {
        guard let value else { return appendNull() }
        append(value)
    }

    /// A timestamp as `YYYY-MM-DD HH:MM:SS.ffffff+00`, written digit by digit (no formatting calls).
    public func append(_ value: PostgresTimestamp) {
        separator()
        let micros = value.microsecondsSinceEpoch
        let seconds = micros.floorDivided(by: 1_000_000)
        let fraction = micros - seconds * 1_000_000
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = PostgresTimestamp.civilDate(daysSinceEpoch: days)
        appendDigits(year, width: 4); bytes.append(45)
        appendDigits(month, width: 2); bytes.append(45)
        appendDigits(day, width: 2); bytes.append(32)
        appendDigits(secondOfDay / 3600, width: 2); bytes.append(58)
        appendDigits(secondOfDay % 3600 / 60, width: 2); bytes.append(58)
        appendDigits(secondOfDay % 60, width: 2); bytes.append(46)
        appendDigits(fraction, width: 6)
        bytes.append(contentsOf: [43, 48, 48])  // +00
    }

    public func append(_ value: PostgresTimestamp?) {
        guard let value else { return appendNull() }
        append(value)
    }

    /// A `smallint[]` literal.
    public func append(smallints values: [Int16]) {
        separator()
        bytes.append(123)
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(44) }
            appendDecimal(Int64(value))
        }
        bytes.append(125)
    }

    /// A `real[]` literal.
    public func append(reals values: [Float]) {
        separator()
        bytes.append(123)
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(44) }
            bytes.append(contentsOf: PostgresText.real(value).utf8)
        }
        bytes.append(125)
    }

    private func appendDigits(_ value: Int64, width: Int) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (48, 48, 48, 48, 48, 48)
        var remaining = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            for index in stride(from: width - 1, through: 0, by: -1) {
                buffer[index] = UInt8(remaining % 10) + 48
                remaining /= 10
            }
            bytes.append(contentsOf: buffer.prefix(width))
        }
    }

    public func append(_ value: PostgresValue) {
        switch value {
        case .null: appendNull()
        case .bigint(let number): append(number)
        case .text(let text): append(text)
        default:
            // Array and timestamp literals contain no characters COPY must escape except backslash.
            if let text = value.textEncoding { append(text) } else { appendNull() }
        }
    }

    public func endRow() throws(PostgresError) {
        bytes.append(10)
        rowHasField = false
        rowCount += 1
        if bytes.count >= flushThreshold { try flush() }
    }

    func flush() throws(PostgresError) {
        guard !bytes.isEmpty else { return }
        try sink(bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    private func appendDecimal(_ value: Int64) {
        if value == 0 { bytes.append(48); return }
        var magnitude = value.magnitude
        if value < 0 { bytes.append(45) }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                buffer[count] = UInt8(magnitude % 10) + 48
                magnitude /= 10
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[index]) }
        }
    }
}
