import AlertSending
import ArgumentParser
import AvroSchemas
import ServiceSupport

struct Dump: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the TOM's alert dumps: one <mjd>.tar per night with one <alertId>.avro per alert.",
        discussion: """
            The TOM's dump_elasticc2_alert_tars, same flags: every night from --start-day through -d, whole (alerts with \
            midPointTai from the first night's start to the end of the last). Without --do, a dry run that counts per night.
            """)

    @Option(help: "First night (MJD) to dump.") var startDay: Double
    @Option(name: [.customShort("d"), .customLong("through-day")], help: "Last night (MJD) to dump, whole.") var throughDay: Double
    @Option(name: [.customShort("o"), .customLong("outdir")], help: "Directory for the .tar files.") var outdir = "."
    @Flag(name: [.customShort("c"), .customLong("clobber")], help: "Replace existing .tar files.") var clobber = false
    @Option(name: [.customShort("g"), .customLong("gentype")], help: "Only objects of this true type.") var gentype: Int?
    @Option(name: [.customShort("s"), .customLong("alert-schema")], help: "The TOM's schema file: must be v0_9_1's, which we write.")
    var alertSchema: String?
    @Option(
        name: [.customShort("l"), .customLong("log-every")],
        help: "Accepted for the TOM's command lines (the counts per night are printed at the end).")
    var logEvery = 1000
    @Option(name: [.customShort("n"), .customLong("num-reconstruct-processes")], help: "Accepted for the TOM's command lines.")
    var numReconstructProcesses = 3
    @Flag(help: "Write the files (without it: a dry run, as the TOM's).") var `do` = false
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard startDay <= throughDay else { throw ValidationError("--start-day must not be after --through-day.") }
        if let alertSchema {
            do { try ElasticcSchemas.verifyOverride(path: alertSchema, matches: .alert) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() async throws {
        ParseOnly.exitIfRequested()
        _ = logging.bootstrap(label: "alert-sender")
        let result = try await AlertDumper(conninfo: database.resolved.conninfo, directory: outdir, clobber: clobber)
            .dump(start: startDay, through: throughDay, gentype: gentype, write: `do`)
        let counts = result.alertsPerNight
        for (mjd, count) in counts.sorted(by: { $0.key < $1.key }) { print("\(mjd).tar: \(count) alerts\(`do` ? "" : " (dry run: not written)")") }
        print("\(counts.values.reduce(0, +)) alerts in \(counts.count) files\(`do` ? "" : "; a dry run, as without --do in the TOM")")
        let unbuildable = result.unbuildableAlertIds
        if !unbuildable.isEmpty {
            throw AlertSendError(
                description:
                    "\(unbuildable.count) alerts in the window were not dumped: no alert can be built for them (their source has no object, or the object no history): "
                    + unbuildable.prefix(SendSummary.unbuildableIdsKept).map(String.init).joined(separator: ", "))
        }
    }
}
