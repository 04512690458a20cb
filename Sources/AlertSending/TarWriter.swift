import Foundation

/// Writes a POSIX ustar archive of regular files, as Python's tarfile reads it.
final class TarWriter {
    private let handle: FileHandle

    init(creating path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw AlertSendError(description: "cannot create \(path)")
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }

    func add(name: String, contents: [UInt8], modified: Date = Date()) throws {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            let bytes = Array(text.utf8.prefix(width))
            header.replaceSubrange(offset..<offset + bytes.count, with: bytes)
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            put(String(String(value, radix: 8).suffix(width - 1)).leftPadded(to: width - 1), at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(0o644, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(contents.count, at: 124, width: 12)
        octal(Int(modified.timeIntervalSince1970), at: 136, width: 12)
        put("        ", at: 148, width: 8)
        header[156] = UInt8(ascii: "0")
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        let checksum = header.reduce(0) { $0 + Int($1) }
        put(String(String(checksum, radix: 8)).leftPadded(to: 6), at: 148, width: 6)
        header[154] = 0
        header[155] = UInt8(ascii: " ")
        try handle.write(contentsOf: header)
        try handle.write(contentsOf: contents)
        let padding = (512 - contents.count % 512) % 512
        if padding > 0 { try handle.write(contentsOf: [UInt8](repeating: 0, count: padding)) }
    }

    func close() throws {
        try handle.write(contentsOf: [UInt8](repeating: 0, count: 1024))
        try handle.close()
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
