import Foundation

/// The TOM's alert-send status files: `alertsendstart`, `alertssentupdate`, `alertssent` and
/// `alertsendfinish`, each holding one line.
struct StatusFiles {
    let directory: URL?

    init(directory: String?) {
        self.directory = directory.map { URL(fileURLWithPath: $0) }
        if let directory { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
    }

    func started() { write("alertsendstart", Self.now()) }

    func progress(sent: Int) {
        write("alertssentupdate", Self.now())
        write("alertssent", String(sent))
    }

    func finished(sent: Int) {
        progress(sent: sent)
        write("alertsendfinish", Self.now())
    }

    private func write(_ name: String, _ line: String) {
        guard let directory else { return }
        try? (line + "\n").write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    private static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}
