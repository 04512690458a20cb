import Foundation
import Postgres
import TOMDatabase

/// The record of `alert-sender --each-day-at`'s nights (`elasticcstream_nightly_send`): one row
/// per UTC day, claimed before the send, so a restart the same day, or a second replica, sends
/// nothing more; the last night's outcome is what the service's readiness reports.
public enum NightlySends {
    public enum Outcome: String, Sendable {
        case completed, failed, stopped
    }

    public struct Night: Sendable, Equatable {
        public var day: String
        public var outcome: Outcome?
        public var alertsSent: Int64?
        public var detail: String?
    }

    /// The time of day a night is sent at, UTC.
    public struct Schedule: Sendable, Equatable {
        public var hour: Int
        public var minute: Int

        /// `HH:MM`, 24-hour, UTC.
        public init?(_ text: String) {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ $0.count == 2 }), let hour = Int(parts[0]), let minute = Int(parts[1]),
                (0..<24).contains(hour), (0..<60).contains(minute)
            else { return nil }
            self.hour = hour
            self.minute = minute
        }

        /// The UTC day `date` falls on, as PostgreSQL's `date` reads it.
        public static func day(of date: Date) -> String {
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        }

        /// When the night of `date`'s UTC day is due.
        public func due(on date: Date) -> Date {
            var parts = Self.calendar.dateComponents([.year, .month, .day], from: date)
            parts.hour = hour
            parts.minute = minute
            return Self.calendar.date(from: parts) ?? date
        }

        /// The next time a night is due: today's, unless today's is already recorded (then
        /// tomorrow's). A day whose time has passed unsent is due at once.
        public func next(after now: Date, todayRecorded: Bool) -> Date {
            if !todayRecorded { return max(now, due(on: now)) }
            return due(on: now.addingTimeInterval(86_400))
        }

        private static let calendar: Calendar = {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            return calendar
        }()
    }

    /// Takes `day` for this run; false when it is recorded already (sent, being sent, or failed).
    public static func claim(_ day: String, by runner: String, on connection: PostgresConnection) throws -> Bool {
        try connection.query(
            "INSERT INTO \(unescaped: OwnTables.nightlySend) (night, run_by) VALUES (\(day)::date, \(runner)) ON CONFLICT (night) DO NOTHING RETURNING night",
            statement: "claim the night"
        ).rowCount == 1
    }

    public static func finish(_ day: String, _ outcome: Outcome, alertsSent: Int, detail: String, on connection: PostgresConnection) throws {
        try connection.query(
            """
            UPDATE \(unescaped: OwnTables.nightlySend) SET finished = clock_timestamp(), outcome = \(outcome.rawValue),
                   alerts_sent = \(Int64(alertsSent)), detail = \(detail)
             WHERE night = \(day)::date
            """, statement: "record the night")
    }

    /// The latest night recorded, if any.
    public static func latest(on connection: PostgresConnection) throws -> Night? {
        let result = try connection.query(
            "SELECT night::text, outcome, alerts_sent, detail FROM \(unescaped: OwnTables.nightlySend) ORDER BY night DESC LIMIT 1",
            statement: "the latest night")
        guard result.rowCount == 1 else { return nil }
        let (day, outcome, alerts, detail) = try result.single((String, String?, Int64?, String?).self)
        return Night(day: day, outcome: outcome.flatMap(Outcome.init(rawValue:)), alertsSent: alerts, detail: detail)
    }
}
