import Foundation

/// alert-sender's run in node-exporter's textfile format (`--metrics-file`): a cron job has no
/// listener for Prometheus to scrape, so node-exporter's textfile collector reads this file.
/// Per-run figures are gauges; the last success time survives failed runs.
public enum RunMetricsTextfile {
    public static let outcomes = ["completed", "dry_run", "another_run_holds_the_lock", "stopped", "failed"]

    /// The file for a run that ended with `outcome` (one of `outcomes`), `summary` when it got that far.
    public static func render(outcome: String, summary: SendSummary?, topics: [String], now: Date, previous: String?) -> String {
        let seconds = now.timeIntervalSince1970
        let lastSuccess =
            outcome == "completed" || outcome == "dry_run"
            ? seconds : previous.flatMap { value(of: "elasticc_alertsender_last_success_timestamp_seconds", in: $0) }
        var lines: [String] = []
        func metric(_ name: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) gauge")
            for sample in samples { lines.append(name + sample.labels + " " + sample.value) }
        }
        metric(
            "elasticc_alertsender_alerts_sent", "Alerts the last run delivered to Kafka, per topic.",
            topics.map { ("{topic=\"\(escape($0))\"}", String(summary?.messagesPerTopic[$0] ?? 0)) })
        metric(
            "elasticc_alertsender_bytes_sent", "Bytes of Avro alerts the last run delivered, per topic.",
            topics.map { ("{topic=\"\(escape($0))\"}", String(summary?.bytesPerTopic[$0] ?? 0)) })
        metric(
            "elasticc_alertsender_alerts_unbuildable", "Alerts the last run left unsent because no message can be built for them.",
            [("", String(summary?.alertsUnbuildable ?? 0))])
        metric("elasticc_alertsender_run_duration_seconds", "How long the last run took.", [("", String(summary?.seconds ?? 0))])
        metric(
            "elasticc_alertsender_run_outcome", "1 for how the last run ended.",
            outcomes.map { ("{outcome=\"\($0)\"}", $0 == outcome ? "1" : "0") })
        metric("elasticc_alertsender_last_run_timestamp_seconds", "When the last run ended (Unix time).", [("", String(format: "%.3f", seconds))])
        if let lastSuccess {
            metric(
                "elasticc_alertsender_last_success_timestamp_seconds", "When a run last completed (Unix time).",
                [("", String(format: "%.3f", lastSuccess))])
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes it atomically (node-exporter may read at any moment).
    public static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    public static func outcomeName(_ outcome: SendSummary.Outcome) -> String {
        switch outcome {
        case .completed: "completed"
        case .dryRun: "dry_run"
        case .anotherRunHoldsTheLock: "another_run_holds_the_lock"
        case .stopped: "stopped"
        }
    }

    static func value(of name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    static func escape(_ label: String) -> String {
        label.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
