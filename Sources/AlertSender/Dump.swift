import AlertSending
import ArgumentParser
import ServiceSupport

struct Dump: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the TOM's alert dumps: one <mjd>.tar per night with one <alertId>.avro per alert.")

    @Option(help: "First MJD to dump.") var startDay: Double
    @Option(help: "Last MJD to dump.") var throughDay: Double
    @Option(help: "Directory for the .tar files.") var outdir: String
    @Flag(help: "Replace existing .tar files.") var clobber = false
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard startDay <= throughDay else { throw ValidationError("--start-day must not be after --through-day.") }
    }

    func run() async throws {
        ParseOnly.exitIfRequested()
        _ = logging.bootstrap(label: "alert-sender")
        let result = try await AlertDumper(conninfo: database.resolved.conninfo, directory: outdir, clobber: clobber)
            .dump(start: startDay, through: throughDay)
        let counts = result.alertsPerNight
        for (mjd, count) in counts.sorted(by: { $0.key < $1.key }) { print("\(mjd).tar: \(count) alerts") }
        print("\(counts.values.reduce(0, +)) alerts in \(counts.count) files")
        let unbuildable = result.unbuildableAlertIds
        if !unbuildable.isEmpty {
            throw AlertSendError(
                description:
                    "\(unbuildable.count) alerts in the window were not dumped: no alert can be built for them (their source has no object, or the object no history): "
                    + unbuildable.prefix(SendSummary.unbuildableIdsKept).map(String.init).joined(separator: ", "))
        }
    }
}
