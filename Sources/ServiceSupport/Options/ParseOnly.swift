import Foundation

/// With `ELASTICC_PARSE_ONLY=1`, a tool stops right after its arguments were parsed and
/// validated: deployment files (compose, cron) are checked against the real parsers this way.
public enum ParseOnly {
    public static var isRequested: Bool { ProcessInfo.processInfo.environment["ELASTICC_PARSE_ONLY"] == "1" }

    public static func exitIfRequested() {
        if isRequested { exit(0) }
    }
}
