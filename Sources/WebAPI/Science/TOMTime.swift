import Foundation

/// Times as the TOM's API reads and writes them.
public enum TOMTime {
    /// MJD 40587 is 1970-01-01.
    public static func mjd(of date: Date) -> Double { date.timeIntervalSince1970 / 86_400 + 40_587 }

    public static var mjdNow: Double { mjd(of: Date()) }

    /// SQL spelling a timestamptz as Django's JSON encoder does: UTC, milliseconds, `Z`.
    public static func isoSQL(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    }

    /// A date or date and time the way people type them (`2026-11-25`, `2026-11-25 14:00`,
    /// `2026-11-25T14:00:03.5Z`, `…+01:00`): the instant (UTC unless an offset is given) and
    /// whether it was given without a zone.
    public static func parse(_ text: String, parameter: String) throws(APIParameterError) -> (date: Date, naive: Bool) {
        let pattern =
            #"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$"#
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text))
        else {
            throw APIParameterError("\(parameter): can't read \"\(text)\" as YYYY-MM-DD or YYYY-MM-DD HH:MM:SS")
        }
        func group(_ index: Int) -> String? {
            guard let range = Range(match.range(at: index), in: text) else { return nil }
            return String(text[range])
        }
        var components = DateComponents()
        components.calendar = Calendar(identifier: .gregorian)
        components.year = Int(group(1) ?? "")
        components.month = Int(group(2) ?? "")
        components.day = Int(group(3) ?? "")
        components.hour = Int(group(4) ?? "0")
        components.minute = Int(group(5) ?? "0")
        components.second = Int(group(6) ?? "0")
        if let fraction = group(7) {
            components.nanosecond = Int((Double("0." + fraction) ?? 0) * 1e9)
        }
        var offsetSeconds = 0
        let zone = group(8)
        if let zone, zone != "Z" {
            let digits = zone.dropFirst().replacingOccurrences(of: ":", with: "")
            let hours = Int(digits.prefix(2)) ?? 0
            let minutes = Int(digits.suffix(2)) ?? 0
            offsetSeconds = (hours * 3600 + minutes * 60) * (zone.hasPrefix("-") ? -1 : 1)
        }
        components.timeZone = TimeZone(secondsFromGMT: offsetSeconds)
        guard components.isValidDate, let date = components.date else {
            throw APIParameterError("\(parameter): \"\(text)\" is not a valid date")
        }
        return (date, zone == nil)
    }

    /// PostgreSQL's spelling of an instant, for a timestamptz parameter.
    public static func sqlText(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// Django's spelling of a datetime: ISO 8601, milliseconds only when there is a fraction,
    /// `Z` for an aware (UTC) one, no zone for a naive one.
    public static func djangoText(_ date: Date, naive: Bool) -> String {
        let formatter = ISO8601DateFormatter()
        let hasFraction = date.timeIntervalSince1970.truncatingRemainder(dividingBy: 1) != 0
        formatter.formatOptions = hasFraction ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        let text = formatter.string(from: date)
        return naive && text.hasSuffix("Z") ? String(text.dropLast()) : text
    }
}
