/// Which alerts a run sends: those with a NULL `alertsenttimestamp` whose source time lies in
/// `[start, through]` (no lower bound when `start` is nil), computed as the TOM's command does.
public struct SendWindow: Sendable, Equatable, CustomStringConvertible {
    public var start: Double?
    public var through: Double

    public enum Mode: Sendable, Equatable {
        /// `-d/--through-day MJD`.
        case throughDay(Double)
        /// `-a/--added-days N`.
        case addedDays(Double)
    }

    public init(start: Double?, through: Double) {
        self.start = start
        self.through = through
    }

    /// - Parameters:
    ///   - latestSent: the greatest source `midpointtai` among alerts already sent, if any.
    ///   - firstAlert: the smallest source `midpointtai` of any alert, if any.
    public static func compute(mode: Mode, startDay: Double?, latestSent: Double?, firstAlert: Double?) -> SendWindow {
        switch mode {
        case .throughDay(let through):
            return SendWindow(start: startDay, through: through)
        case .addedDays(let added):
            var start: Double
            if let latestSent {
                start = latestSent
                if let startDay, startDay > start { start = startDay }
            } else if let startDay {
                start = startDay
            } else {
                start = (firstAlert ?? 0) - 1
            }
            return SendWindow(start: start, through: (start + 0.5).rounded(.down) + added + 0.5)
        }
    }

    public var description: String {
        (start.map { "MJD \($0)" } ?? "the beginning") + " through MJD \(through)"
    }
}
