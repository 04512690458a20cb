import Foundation

/// The TOM's alert-send status files, which its alert-stream page reads: `alertsendstart` when
/// a run starts (the previous run's `alertsendfinish`, `alertssentupdate` and `alertssent` are
/// removed then), `alertssent` (the count so far) and `alertssentupdate` after each batch, and
/// at the end `alertssent`, `alertsendfinish`, with `alertssentupdate` removed. Each holds one
/// value and no newline; times are local, as Python's `isoformat(' ', timespec='seconds')`.
struct StatusFiles {
    let directory: URL?

    init(directory: String?) {
        self.directory = directory.map { URL(fileURLWithPath: $0) }
        if let directory { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
    }

    func started() {
        write("alertsendstart", Self.now())
        for name in ["alertsendfinish", "alertssentupdate", "alertssent"] { remove(name) }
    }

    func progress(sent: Int) {
        write("alertssent", String(sent))
        write("alertssentupdate", Self.now())
    }

    func finished(sent: Int) {
        write("alertssent", String(sent))
        write("alertsendfinish", Self.now())
        remove("alertssentupdate")
    }

    private func write(_ name: String, _ value: String) {
        guard let directory else { return }
        try? value.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    private func remove(_ name: String) {
        guard let directory else { return }
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
    }

    /// `2025-05-21 11:39:17`: local time, to the second.
    static func now(_ date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }
}
