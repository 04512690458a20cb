import AlertSending
import ArgumentParser
import AvroSchemas
import Foundation
import HeapTuning
import Kafka
import Logging
import ServiceSupport

@main
struct AlertSenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alert-sender",
        abstract: "Send ELAsTiCC2 alerts from the PPDB to Kafka (the TOM's send_elasticc2_alerts).",
        subcommands: [Send.self, Dump.self],
        defaultSubcommand: Send.self)
}

struct Send: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send unsent alerts up to a simulated date; without --do, report what would be sent.")

    @Option(help: "Send no alert whose source is earlier than this MJD.") var startDay: Double?
    @Option(name: [.customShort("d"), .customLong("through-day")], help: "Send alerts through this MJD.") var throughDay: Double?
    @Option(name: [.customShort("a"), .customLong("added-days")], help: "Send this many days past the last alert sent.") var addedDays: Double?
    @Option(name: [.customShort("k"), .customLong("kafka-server")], help: "Kafka bootstrap servers, by default KAFKA_SERVER or localhost:9092.")
    var kafkaServer = KafkaClientOptions.defaultServer
    @Option(help: "Topic for WFD objects' alerts.") var wfdTopic = "alerts-wfd"
    @Option(help: "Topic for DDF objects' alerts with full history.") var ddfFullTopic = "alerts-ddf-full"
    @Option(help: "Topic for DDF objects' alerts with 30 days of history.") var ddfLimitedTopic = "alerts-ddf-limited"
    @Option(
        name: [.customShort("s"), .customLong("alert-schema")], help: "Alert schema file; must be the bundled v0_9_1 alert schema's wire format.")
    var alertSchema: String?
    @Option(name: [.customShort("f"), .customLong("flush-every")], help: "Alerts per produce-acknowledge-mark cycle (default 5000).") var flushEvery:
        Int?
    @Option(name: [.customShort("l"), .customLong("log-every")], help: "Alerts between progress log lines.") var logEvery = 10000
    @Option(name: [.customShort("r"), .customLong("runningfile")], help: "Refuse to run while this file exists; create it for the run.")
    var runningFile: String?
    @Flag(name: .customLong("do"), help: "Really send and mark alerts (otherwise a dry run).") var really = false
    @Option(help: "Directory for the TOM's status files (alertsendstart, alertsendfinish, alertssentupdate, alertssent).") var statusDir: String?
    @Option(help: "Pace sending at this many alerts per second.") var rate: Double?
    @Option(
        name: [.customShort("n"), .customLong("num-reconstruct-processes")],
        help: "Threads that encode alerts (the TOM's flag; default: one per core).")
    var numReconstructProcesses: Int?
    @Option(help: "Write the run's summary as JSON to this file (outcome, window, alerts and bytes per topic, seconds).") var summaryJson: String?
    @Option(
        help:
            "Write the run's figures in node-exporter's textfile format to this file (alerts and bytes per topic, seconds, outcome, last success time)."
    ) var metricsFile: String?
    @Option(
        help: ArgumentHelp(
            "Keep running and send one night a UTC day at this time (with -a and --do): a day is recorded before its send, so a restart the same day sends nothing more; /ready reports the latest night.",
            valueName: "HH:MM"))
    var eachDayAt: String?
    @Flag(help: "With --each-day-at: after each completed night, promote the answered sources (ppdb update-sources).")
    var updateSources = false
    @OptionGroup var monitoring: MonitoringOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var kafka: KafkaClientOptions
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (throughDay == nil) != (addedDays == nil) else {
            throw ValidationError("Give exactly one of -d/--through-day and -a/--added-days.")
        }
        if let eachDayAt {
            guard NightlySends.Schedule(eachDayAt) != nil else { throw ValidationError("--each-day-at must be HH:MM (UTC), as 03:00.") }
            guard addedDays != nil, really else { throw ValidationError("--each-day-at sends with -a/--added-days and --do.") }
        } else if updateSources {
            throw ValidationError("--update-sources goes with --each-day-at (otherwise run ppdb update-sources after the send).")
        }
        guard (flushEvery ?? 1) > 0, logEvery > 0 else { throw ValidationError("--flush-every and --log-every must be positive.") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive.") }
        if let threads = numReconstructProcesses, threads <= 0 { throw ValidationError("-n/--num-reconstruct-processes must be positive.") }
        if let alertSchema {
            do { try ElasticcSchemas.verifyOverride(path: alertSchema, matches: .alert) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() async throws {
        ParseOnly.exitIfRequested()
        HeapTuning.apply()
        let logger = logging.bootstrap(label: "alert-sender")
        let kafkaConfiguration = try kafka.configuration(servers: kafkaServer, clientId: "alert-sender")
        KafkaConfigurationCheck.exitIfRequested([("producer", kafkaConfiguration, false)])
        if let runningFile {
            if FileManager.default.fileExists(atPath: runningFile) {
                logger.notice("Running file exists; another alert-sender seems to be running", metadata: ["file": "\(runningFile)"])
                return
            }
            _ = FileManager.default.createFile(atPath: runningFile, contents: Data("\(getpid())\n".utf8))
        }
        defer { if let runningFile { try? FileManager.default.removeItem(atPath: runningFile) } }

        let settings = AlertSenderSettings(
            mode: throughDay.map { .throughDay($0) } ?? .addedDays(addedDays!), startDay: startDay,
            topics: AlertTopics(wfd: wfdTopic, ddfFull: ddfFullTopic, ddfLimited: ddfLimitedTopic),
            flushEvery: flushEvery ?? 5000, logEvery: logEvery, dryRun: !really, statusDirectory: statusDir, rate: rate,
            progressBar: isatty(STDERR_FILENO) != 0,
            encodingThreads: numReconstructProcesses ?? ProcessInfo.processInfo.activeProcessorCount)
        let producer = really ? try KafkaProducer(configuration: kafkaConfiguration, logger: logger) : nil
        let conninfo = database.resolved.conninfo
        let metricsFile = self.metricsFile
        let topicNames = [settings.topics.wfd, settings.topics.ddfFull, settings.topics.ddfLimited]
        @Sendable func writeMetrics(_ outcome: String, _ summary: SendSummary?) throws {
            guard let metricsFile else { return }
            let previous = try? String(contentsOfFile: metricsFile, encoding: .utf8)
            try RunMetricsTextfile.write(
                RunMetricsTextfile.render(outcome: outcome, summary: summary, topics: topicNames, now: Date(), previous: previous), to: metricsFile)
        }
        let summaryJson = self.summaryJson
        @Sendable func sendOnce() async throws -> SendSummary {
            do {
                let sender = AlertSender(settings: settings, conninfo: conninfo, producer: producer, logger: logger)
                let summary = try await sender.run()
                print(SummaryTable.render(summary, topics: settings.topics))
                if let summaryJson {
                    try summary.json(topics: settings.topics).write(to: URL(fileURLWithPath: summaryJson), options: .atomic)
                }
                try writeMetrics(RunMetricsTextfile.outcomeName(summary.outcome), summary)
                if summary.alertsUnbuildable > 0 {
                    throw AlertSendError(
                        isUnbuildableAlerts: true,
                        description:
                            "\(summary.alertsUnbuildable) alerts were left unsent: no message can be built for them (their source has no object, or the object no history): "
                            + summary.unbuildableAlertIds.map(String.init).joined(separator: ", ")
                            + (summary.alertsUnbuildable > summary.unbuildableAlertIds.count ? ", …" : ""))
                }
                return summary
            } catch let error as AlertSendError where error.isUnbuildableAlerts {
                throw error  // the run itself completed: its metrics are written, with the count
            } catch {
                try? writeMetrics("failed", nil)
                throw error
            }
        }
        guard let schedule = eachDayAt.flatMap(NightlySends.Schedule.init) else {
            try await ToolServices.run(logger: logger) { _ = try await sendOnce() }
            return
        }
        let nightly = NightlySender(
            schedule: schedule, conninfo: conninfo, runner: "\(ProcessInfo.processInfo.hostName) pid \(getpid())", updateSources: updateSources,
            logger: logger, send: sendOnce)
        let monitor = monitoring.address.map { address in
            MonitoringServer.service(
                listen: address,
                readiness: { MonitoringServer.Readiness([await ReadinessChecks.database(conninfo: conninfo), nightly.readiness]) },
                logger: logger)
        }
        try await ToolServices.run(alongside: monitor.map { [$0] } ?? [], logger: logger) { try await nightly.run() }
    }
}

enum SummaryTable {
    static func render(_ summary: SendSummary, topics: AlertTopics) -> String {
        let window = summary.window.map(String.init(describing:)) ?? ""
        switch summary.outcome {
        case .anotherRunHoldsTheLock:
            return "alert-sender: another run holds the lock; nothing sent"
        case .dryRun:
            var lines = ["alert-sender dry run (add --do to send): \(window)"]
            for topic in topics.all {
                lines.append("  " + pad(topic, 24) + pad("\(summary.messagesPerTopic[topic] ?? 0)", 10, left: true) + " alerts would be sent")
            }
            return lines.joined(separator: "\n")
        case .completed, .stopped:
            var lines = [
                "alert-sender \(summary.outcome == .stopped ? "stopped early" : "done"): \(window)",
                "  " + pad("topic", 24) + pad("alerts", 10, left: true) + pad("bytes", 14, left: true),
            ]
            for topic in topics.all {
                lines.append(
                    "  " + pad(topic, 24) + pad("\(summary.messagesPerTopic[topic] ?? 0)", 10, left: true)
                        + pad("\(summary.bytesPerTopic[topic] ?? 0)", 14, left: true))
            }
            lines.append(String(format: "  %d alerts sent in %.2f s: %.0f alerts/s", summary.alertsSent, summary.seconds, summary.alertsPerSecond))
            if summary.alertsUnbuildable > 0 {
                lines.append("  \(summary.alertsUnbuildable) alerts left unsent: no message can be built for them (see the warnings)")
            }
            return lines.joined(separator: "\n")
        }
    }

    static func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return left ? padding + text : text + padding
    }
}
