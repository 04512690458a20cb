import Foundation
import Logging

/// Progress for people: a log line every `logEvery` alerts with rate and ETA, and a bar on a terminal.
struct SendProgress {
    // A value of the send loop alone.
    private let total: Int
    private let logEvery: Int
    private let drawBar: Bool
    private let logger: Logger
    private let started = ContinuousClock.now
    private var nextLog: Int

    init(total: Int, logEvery: Int, drawBar: Bool, logger: Logger) {
        self.total = total
        self.logEvery = max(logEvery, 1)
        self.drawBar = drawBar
        self.logger = logger
        nextLog = max(logEvery, 1)
    }

    mutating func advance(to sent: Int) {
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        let rate = seconds > 0 ? Double(sent) / seconds : 0
        let eta = rate > 0 ? Double(max(total - sent, 0)) / rate : 0
        if sent >= nextLog {
            logger.info(
                "Alerts sent",
                metadata: [
                    "alerts.sent": "\(sent)", "alerts.total": "\(total)",
                    "rate": "\(Int(rate))/s", "eta": "\(Int(eta.rounded()))s",
                ])
            while nextLog <= sent { nextLog += logEvery }
        }
        if drawBar {
            let fraction = total > 0 ? min(Double(sent) / Double(total), 1) : 1
            let filled = Int(fraction * 30)
            let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: 30 - filled)
            FileHandle.standardError.write(
                Data(String(format: "\r[%@] %3.0f%% %d/%d %.0f alerts/s ETA %.0fs ", bar, fraction * 100, sent, total, rate, eta).utf8))
        }
    }

    mutating func finish() {
        if drawBar { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
