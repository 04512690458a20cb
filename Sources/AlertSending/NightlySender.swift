import Foundation
import Logging
import Postgres
import ServiceLifecycle
import Synchronization
import TOMDatabase

/// `alert-sender --each-day-at HH:MM`: one night a UTC day, as the Compose stack's nightly
/// service. The day is claimed in `elasticcstream_nightly_send` before the send, so a restart the
/// same day (or a second replica) sends nothing more, and a day whose time passed while nothing
/// ran is sent at once; after a completed send the answered sources are promoted (`ppdb
/// update-sources`) when asked. A night that fails is recorded and stays failed: `-a` counts from
/// the last alert sent, so sending it again would send a further night. Readiness reports the
/// latest night, so a failure shows in the service's health until a later night completes.
public final class NightlySender: Sendable {
    let schedule: NightlySends.Schedule
    let conninfo: String
    let runner: String
    let updateSources: Bool
    let send: @Sendable () async throws -> SendSummary
    let logger: Logger
    private let latest = Mutex<NightlySends.Night?>(nil)
    private let running = Mutex<String?>(nil)

    public init(
        schedule: NightlySends.Schedule, conninfo: String, runner: String, updateSources: Bool, logger: Logger,
        send: @escaping @Sendable () async throws -> SendSummary
    ) {
        self.schedule = schedule
        self.conninfo = conninfo
        self.runner = runner
        self.updateSources = updateSources
        self.logger = logger
        self.send = send
    }

    /// The latest night's part of `/ready`: not ready while it failed, or was left unfinished by
    /// a run that is gone.
    public var readiness: (name: String, ok: Bool, detail: String) {
        let night = latest.withLock { $0 }
        let inFlight = running.withLock { $0 }
        guard let night else { return ("nightly send", true, "no night recorded yet") }
        if let inFlight { return ("nightly send", true, "sending the night of \(inFlight)") }
        switch night.outcome {
        case .completed: return ("nightly send", true, "the night of \(night.day) completed: \(night.alertsSent ?? 0) alerts sent")
        case .failed: return ("nightly send", false, "the night of \(night.day) failed: \(night.detail ?? "")")
        case .stopped: return ("nightly send", false, "the night of \(night.day) was stopped before it finished")
        case nil: return ("nightly send", false, "the night of \(night.day) was started and never finished (the run died)")
        }
    }

    /// Until graceful shutdown: wait for the next night due, claim it, send, record.
    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            let connection = try await PostgresConnection.open(conninfo, applicationName: "alert-sender nightly")
            let now = Date()
            let today = NightlySends.Schedule.day(of: now)
            let last = try await connection.run { connection in try NightlySends.latest(on: connection) }
            latest.withLock { $0 = last }
            let due = schedule.next(after: now, todayRecorded: last?.day == today)
            if due > now {
                connection.close()
                logger.info(
                    "Next night due",
                    metadata: ["at": "\(due)", "latest": "\(last.map { "\($0.day) \($0.outcome?.rawValue ?? "unfinished")" } ?? "none")"])
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(due.timeIntervalSince(now))) }
                continue
            }
            defer { connection.close() }
            guard try await connection.run({ connection in try NightlySends.claim(today, by: self.runner, on: connection) }) else {
                logger.notice("The night of today is recorded already; nothing sent", metadata: ["night": "\(today)"])
                connection.close()
                let tomorrow = schedule.next(after: now, todayRecorded: true)
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(tomorrow.timeIntervalSince(Date()))) }
                continue
            }
            running.withLock { $0 = today }
            let night = await sendNight(today)
            try await connection.run { connection in
                try NightlySends.finish(
                    today, night.outcome ?? .failed, alertsSent: Int(night.alertsSent ?? 0), detail: night.detail ?? "", on: connection)
            }
            latest.withLock { $0 = night }
            running.withLock { $0 = nil }
        }
    }

    private func sendNight(_ day: String) async -> NightlySends.Night {
        logger.notice("Sending the night", metadata: ["night": "\(day)"])
        do {
            let summary = try await send()
            switch summary.outcome {
            case .completed, .dryRun: break
            case .stopped:
                return NightlySends.Night(day: day, outcome: .stopped, alertsSent: Int64(summary.alertsSent), detail: "stopped by a signal")
            case .anotherRunHoldsTheLock:
                return NightlySends.Night(day: day, outcome: .failed, alertsSent: 0, detail: "another alert-sender run held the lock")
            }
            var detail = "\(summary.alertsSent) alerts sent"
            if updateSources {
                let connection = try await PostgresConnection.open(conninfo, applicationName: "alert-sender update-sources")
                defer { connection.close() }
                let promoted = try await connection.run { connection in try SourceUpdater(logger: self.logger).run(on: connection) }
                detail += "; update-sources: \(promoted.sourceIds) source ids, \(promoted.newSources) new sources"
            }
            logger.notice("The night completed", metadata: ["night": "\(day)", "detail": "\(detail)"])
            return NightlySends.Night(day: day, outcome: .completed, alertsSent: Int64(summary.alertsSent), detail: detail)
        } catch {
            logger.error(
                "The night failed; it is not sent again (-a counts from the last alert sent)", metadata: ["night": "\(day)", "error": "\(error)"])
            return NightlySends.Night(day: day, outcome: .failed, alertsSent: nil, detail: "\(error)")
        }
    }
}
